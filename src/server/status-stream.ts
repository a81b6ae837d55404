/**
 * A pull-based watch: an async iterator of one service's statuses with a
 * one-slot buffer.
 *
 * The reader pulls; between two pulls only the newest status is kept, and a
 * status equal to the last one the reader got is skipped. A reader that stalls
 * therefore costs constant memory and resumes with the newest status.
 */
import { GrpcCode } from '../grpc-code.js';
import { HealthRequestError } from '../errors.js';
import type { StatusSubscriber, WatchStatus } from './subscriber.js';

type Waiter = {
  resolve: (result: IteratorResult<WatchStatus>) => void;
  reject: (error: unknown) => void;
};

const DONE: IteratorResult<WatchStatus> = Object.freeze({ done: true, value: undefined });

/** One watch of one service, read with `for await`. Made by `HealthServer.watch`. */
export class StatusStream implements AsyncIterableIterator<WatchStatus>, StatusSubscriber {
  private lastDelivered: WatchStatus | undefined;
  private slot: WatchStatus | undefined;
  private waiter: Waiter | undefined;
  /** Set once the stream has ended: `null` for a clean end, else the error to throw. */
  private ending: HealthRequestError | null | undefined;

  constructor(
    readonly service: string,
    private readonly detach: (stream: StatusStream) => void,
    private readonly signal: AbortSignal | undefined,
  ) {
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  offer(status: WatchStatus): void {
    if (this.ending !== undefined) return;
    const waiter = this.waiter;
    if (waiter && status !== this.lastDelivered) {
      this.waiter = undefined;
      this.lastDelivered = status;
      waiter.resolve({ done: false, value: status });
    } else {
      this.slot = status;
    }
  }

  end(code: GrpcCode, details: string): void {
    this.finish(code === GrpcCode.OK ? null : new HealthRequestError(code, details));
  }

  next(): Promise<IteratorResult<WatchStatus>> {
    const slot = this.slot;
    this.slot = undefined;
    if (slot !== undefined && slot !== this.lastDelivered) {
      this.lastDelivered = slot;
      return Promise.resolve({ done: false, value: slot });
    }
    if (this.ending !== undefined) {
      const error = this.ending;
      // The error is thrown once; after it the stream reads as done.
      this.ending = null;
      return error ? Promise.reject(error) : Promise.resolve(DONE);
    }
    if (this.waiter) return Promise.reject(new Error('StatusStream: next() called while a previous next() is pending'));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** The reader is done: leaves the registry. */
  return(): Promise<IteratorResult<WatchStatus>> {
    this.finish(null);
    this.ending = null;
    this.slot = undefined;
    return Promise.resolve(DONE);
  }

  throw(): Promise<IteratorResult<WatchStatus>> {
    return this.return();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  // The reader gave up: what it has not read yet is dropped.
  private readonly onAbort = (): void => {
    this.slot = undefined;
    this.finish(null);
  };

  private finish(error: HealthRequestError | null): void {
    if (this.ending !== undefined) return;
    this.ending = error;
    this.signal?.removeEventListener('abort', this.onAbort);
    this.detach(this);
    const waiter = this.waiter;
    if (!waiter) return;
    this.waiter = undefined;
    this.ending = null;
    if (error) waiter.reject(error);
    else waiter.resolve(DONE);
  }
}
