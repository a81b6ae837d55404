/**
 * The resilient Watch loop: the client rules of the health protocol (gRFC A17,
 * grpc-go `health/client.go`) in one place, shared by the balancer, the CLI and
 * `HealthClient.watchHealth`.
 *
 * - Each message reports a status and resets the backoff.
 * - `UNIMPLEMENTED` means the server has no health service: reported once, then
 *   the loop stops.
 * - Any other ending, OK included, is a failure: retried at once if the attempt
 *   received a message, otherwise after an exponential backoff (1 s, x1.6, 20 %
 *   jitter, 120 s cap by default).
 */
import {
  experimental,
  Metadata,
  type ServiceError,
  status as GrpcStatus,
  type StatusObject,
} from '@grpc/grpc-js';
import type { HealthClient as GeneratedHealthClient } from '../generated/grpc/health/v1/health.js';
import { HealthRpcError } from '../errors.js';
import { type ServingStatus, statusFromWire } from '../status.js';
import { cancelForGood } from '../balancer/grpc-js-compat.js';

/** Backoff between attempts that received no message. Defaults are grpc-go's and grpc-js's. */
export interface BackoffOptions {
  /** First delay, ms. Default 1000. */
  initialMs?: number;
  /** Growth per attempt. Default 1.6. */
  multiplier?: number;
  /** Random spread, as a fraction of the delay (0.2 = ±20 %). Default 0.2. */
  jitter?: number;
  /** Largest delay, ms. Default 120000. */
  maxMs?: number;
}

/** What the loop reports. */
export type HealthWatchEvent =
  /** A message: the service's current status. */
  | { type: 'status'; status: ServingStatus }
  /** The stream ended or failed (not UNIMPLEMENTED); the loop retries after `retryInMs`. */
  | { type: 'failure'; error: HealthRpcError; retryInMs: number }
  /** The server has no health service (UNIMPLEMENTED); the loop has stopped. */
  | { type: 'unimplemented'; error: HealthRpcError };

/** Options of {@link HealthWatchLoop}. */
export interface HealthWatchLoopOptions {
  /** Metadata sent with each Watch. */
  metadata?: Metadata;
  /** Backoff between attempts that received no message. */
  backoff?: BackoffOptions;
}

/**
 * Keeps one Watch open on `service` through failures until {@link stop}.
 * Callback-based and allocation-light, for the balancer; `HealthClient.watchHealth`
 * offers the same as an async iterable.
 */
export class HealthWatchLoop {
  private readonly backoff: experimental.BackoffTimeout;
  private call: ReturnType<GeneratedHealthClient['watch']> | undefined;
  private stopped = true;
  // Bumped by stop(): a retry scheduled before it belongs to an older run and is dropped.
  private generation = 0;

  constructor(
    private readonly client: GeneratedHealthClient,
    /** The service watched. */
    readonly service: string,
    private readonly onEvent: (event: HealthWatchEvent) => void,
    private readonly options: HealthWatchLoopOptions = {},
  ) {
    const backoff = options.backoff ?? {};
    this.backoff = new experimental.BackoffTimeout(() => this.attempt(this.generation), {
      initialDelay: backoff.initialMs,
      multiplier: backoff.multiplier,
      // BackoffTimeout reads 0 as "default"; a tiny jitter is as good as none.
      jitter: backoff.jitter === 0 ? Number.MIN_VALUE : backoff.jitter,
      maxDelay: backoff.maxMs,
    });
  }

  /** Opens the first Watch. Calling it while running does nothing. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.backoff.reset();
    this.attempt(this.generation);
  }

  /** Cancels the stream and any pending retry; no event follows. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.generation += 1;
    this.backoff.stop();
    const call = this.call;
    this.call = undefined;
    if (call) cancelForGood(call);
  }

  /** True between {@link start} and {@link stop} (or UNIMPLEMENTED). */
  get running(): boolean {
    return !this.stopped;
  }

  private attempt(generation: number): void {
    if (this.stopped || generation !== this.generation) return;
    let received = false;
    const call = this.client.watch({ service: this.service }, this.options.metadata ?? new Metadata());
    this.call = call;
    call.on('data', (reply: { status: number }) => {
      if (this.call !== call) {
        call.cancel(); // abandoned, yet alive: see cancelForGood()
        return;
      }
      received = true;
      this.backoff.reset();
      this.onEvent({ type: 'status', status: statusFromWire(reply.status) });
    });
    call.on('error', () => {}); // the 'status' event below carries the same
    call.on('status', (status: StatusObject) => {
      if (this.call !== call) return; // stopped, or superseded
      this.call = undefined;
      const details = status.code === GrpcStatus.OK ? 'the server ended the stream' : status.details;
      const error = HealthRpcError.from('Watch', this.service, { ...status, details } as Partial<ServiceError>);
      if (status.code === GrpcStatus.UNIMPLEMENTED) {
        this.stopped = true;
        this.generation += 1;
        this.onEvent({ type: 'unimplemented', error });
        return;
      }
      let retryInMs = 0;
      if (received) {
        // grpc-go: an attempt that got a message is retried at once.
        process.nextTick(() => this.attempt(generation));
      } else {
        this.backoff.runOnce();
        retryInMs = Math.max(0, this.backoff.getEndTime().getTime() - Date.now());
      }
      this.onEvent({ type: 'failure', error, retryInMs });
    });
  }
}
