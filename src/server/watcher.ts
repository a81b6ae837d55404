/**
 * One Watch stream's delivery slot.
 *
 * At most one message is in flight (written to grpc-js but not yet taken by
 * HTTP/2 flow control) and at most one status waits behind it; a newer status
 * replaces the waiting one. A slow reader therefore skips intermediate statuses,
 * always ends with the newest, and costs constant memory. A status equal to the
 * last one sent is never sent again.
 */
import type { ServerWritableStream } from '@grpc/grpc-js';
import type { HealthCheckRequest, HealthCheckResponse } from '../generated/grpc/health/v1/health.js';
import { GrpcCode } from '../grpc-code.js';
import type { ServingStatus } from '../status.js';
import { RESPONSES } from './responses.js';
import type { StatusSubscriber } from './subscriber.js';

/** The grpc-js call behind a Watch. */
export type WatchCall = ServerWritableStream<HealthCheckRequest, HealthCheckResponse>;

/** Delivers status changes to one Watch stream, latest wins. */
export class Watcher implements StatusSubscriber {
  private lastSent: ServingStatus | undefined;
  private waiting: ServingStatus | undefined;
  private inFlight = false;

  constructor(
    /** The service name this stream watches. */
    readonly service: string,
    /** The stream itself. */
    readonly call: WatchCall,
  ) {}

  /** Queues `status` for this stream; sends it now unless a write is still in flight. */
  offer(status: ServingStatus): void {
    if (this.inFlight) {
      this.waiting = status;
    } else if (status !== this.lastSent) {
      this.send(status);
    }
  }

  /** Ends the stream: `OK` closes it, any other code fails it with that status. */
  end(code: GrpcCode, details: string): void {
    if (code === GrpcCode.OK) this.call.end();
    else this.call.emit('error', { code, details, message: details });
  }

  private send(status: ServingStatus): void {
    this.inFlight = true;
    this.lastSent = status;
    this.call.write(RESPONSES[status], this.afterWrite);
  }

  // grpc-js calls this once HTTP/2 has taken the bytes, i.e. the reader made room.
  private readonly afterWrite = (error?: Error | null): void => {
    this.inFlight = false;
    const next = this.waiting;
    this.waiting = undefined;
    // After an error the stream is gone; its 'cancelled' event removes the watcher.
    if (!error && next !== undefined && next !== this.lastSent) this.send(next);
  };
}
