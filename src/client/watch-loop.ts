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
 *   jitter, 120 s cap by default). A call that ends without a status (grpc-js
 *   dropped it) and a call that cannot start are failures too.
 * - A closed client ends the loop: one `closed` event, no retry.
 */
import { experimental, logVerbosity, Metadata, type ServiceError, status as GrpcStatus, type StatusObject } from '@grpc/grpc-js';
import type { HealthClient as GeneratedHealthClient } from '../generated/grpc/health/v1/health.js';
import { HealthRpcError } from '../errors.js';
import { errorText } from '../shown-value.js';
import { type ServingStatus, statusFromWire } from '../status.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { checkOptions, optionNames } from '../options.js';
import { cancelForGood, callStartFailure } from '../balancer/grpc-js-compat.js';

export type { BackoffOptions } from './backoff.js';

/** What the loop reports. */
export type HealthWatchEvent =
  /** A message: the service's current status. */
  | { type: 'status'; status: ServingStatus }
  /** The stream ended or failed (not UNIMPLEMENTED); the loop retries after `retryInMs`. */
  | { type: 'failure'; error: HealthRpcError; retryInMs: number }
  /** The server has no health service (UNIMPLEMENTED); the loop has stopped. */
  | { type: 'unimplemented'; error: HealthRpcError }
  /** The client was closed (`error.code` is CANCELLED); the loop has stopped. */
  | { type: 'closed'; error: HealthRpcError };

/** Options of {@link HealthWatchLoop}. */
export interface HealthWatchLoopOptions {
  /** Metadata sent with each Watch. */
  metadata?: Metadata;
  /** Backoff between attempts that received no message; checked when the loop is made. */
  backoff?: BackoffOptions;
}

const HEALTH_WATCH_LOOP_OPTION_NAMES = optionNames<HealthWatchLoopOptions>({ metadata: true, backoff: true });

/**
 * Keeps one Watch open on `service` through failures until {@link stop}.
 * Callback-based and allocation-light, for the balancer; `HealthClient.watchHealth`
 * offers the same as an async iterable.
 */
export class HealthWatchLoop {
  private readonly backoff: Backoff;
  private retryTimer: NodeJS.Timeout | undefined;
  private call: ReturnType<GeneratedHealthClient['watch']> | undefined;
  private stopped = true;
  // Bumped by stop(): a retry scheduled before it belongs to an older run and is dropped.
  private generation = 0;

  /** @throws {@link HealthArgumentError} for an unknown option, or backoff settings that are not finite numbers in range. */
  constructor(
    private readonly client: GeneratedHealthClient,
    /** The service watched. */
    readonly service: string,
    private readonly onEvent: (event: HealthWatchEvent) => void,
    private readonly options: HealthWatchLoopOptions = {},
  ) {
    checkOptions('HealthWatchLoop options', options, HEALTH_WATCH_LOOP_OPTION_NAMES);
    this.backoff = new Backoff(options.backoff);
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
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const call = this.call;
    this.call = undefined;
    if (call) cancelForGood(call);
  }

  /**
   * Backoff settings from now on: the next delay uses them, the attempt count is kept.
   * @throws {@link HealthArgumentError} for settings the constructor refuses.
   */
  setBackoff(backoff: BackoffOptions | undefined): void {
    this.backoff.configure(backoff);
  }

  /** True between {@link start} and {@link stop} (or UNIMPLEMENTED, or a closed client). */
  get running(): boolean {
    return !this.stopped;
  }

  /** Hands `event` to the listener; a listener that throws is logged, and the loop carries on. */
  private emit(event: HealthWatchEvent): void {
    try {
      this.onEvent(event);
    } catch (error) {
      experimental.log(logVerbosity.ERROR, `HealthWatchLoop "${this.service}": the event listener threw: ${errorText(error)}`);
    }
  }

  private attempt(generation: number): void {
    if (this.stopped || generation !== this.generation) return;
    let call: ReturnType<GeneratedHealthClient['watch']>;
    try {
      call = this.client.watch({ service: this.service }, this.options.metadata ?? new Metadata());
    } catch (thrown) {
      // grpc-js throws instead of failing the call, e.g. on a closed client: never out of a timer.
      const failure = callStartFailure(this.client, thrown);
      const error = HealthRpcError.from('Watch', this.service, failure);
      if (failure.closed) {
        this.halt();
        this.emit({ type: 'closed', error });
      } else {
        this.retry(generation, false, error);
      }
      return;
    }
    let received = false;
    this.call = call;
    call.on('data', (reply: { status: number }) => {
      if (this.call !== call) {
        call.cancel(); // abandoned, yet alive: see cancelForGood()
        return;
      }
      received = true;
      this.backoff.reset();
      this.emit({ type: 'status', status: statusFromWire(reply.status) });
    });
    const ended = (status: Pick<StatusObject, 'code' | 'details'> & Partial<StatusObject>): void => {
      if (this.call !== call) return; // stopped, superseded, or already ended
      this.call = undefined;
      const details = status.code === GrpcStatus.OK ? 'the server ended the stream' : status.details;
      const error = HealthRpcError.from('Watch', this.service, { ...status, details } as Partial<ServiceError>);
      if (status.code === GrpcStatus.UNIMPLEMENTED) {
        this.halt();
        this.emit({ type: 'unimplemented', error });
        return;
      }
      this.retry(generation, received, error);
    };
    call.on('status', ended);
    // grpc-js emits 'error' just before 'status', and 'status' before 'end' and 'close'
    // (grpc-js-compat 12): either without a status means grpc-js dropped the call.
    call.on('error', (error: Partial<ServiceError>) =>
      process.nextTick(() =>
        ended({ code: error.code ?? GrpcStatus.INTERNAL, details: `${error.details ?? error.message} (the call ended without a status)` }),
      ),
    );
    call.on('close', () => ended({ code: GrpcStatus.INTERNAL, details: 'the call ended without a status' }));
  }

  /** Stops for good from inside (UNIMPLEMENTED, a closed client): a pending retry of this run is dropped. */
  private halt(): void {
    this.stopped = true;
    this.generation += 1;
  }

  /** Reports a failed attempt and schedules the next: at once after an attempt that got a message, else after the backoff. */
  private retry(generation: number, received: boolean, error: HealthRpcError): void {
    let retryInMs = 0;
    if (received) {
      // grpc-go: an attempt that got a message is retried at once.
      process.nextTick(() => this.attempt(generation));
    } else {
      retryInMs = this.backoff.next();
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.attempt(generation);
      }, retryInMs);
    }
    this.emit({ type: 'failure', error, retryInMs });
  }
}
