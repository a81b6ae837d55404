/**
 * `HealthClient`: typed Check, List and a single Watch stream over grpc-js.
 *
 * Every call carries a deadline (Check and List) or can be cancelled (Watch); every
 * failure is a {@link HealthRpcError} with the gRPC code, a call on a closed client
 * included (`CANCELLED`, as grpc-go answers on a closed connection).
 */
import {
  type ChannelInterface,
  type ChannelCredentials,
  type ClientOptions,
  Metadata,
  type ServiceError,
  status as GrpcStatus,
} from '@grpc/grpc-js';
import type { HealthClient as GeneratedHealthClient } from '../generated/grpc/health/v1/health.js';
import { HealthRpcClient } from './list-reply.js';
import { HealthArgumentError, HealthRpcError } from '../errors.js';
import { shownValue } from '../shown-value.js';
import { checkOptions, GRPC_CHANNEL_OPTIONS, HEALTH_CALL_OPTION_NAMES, HEALTH_CLIENT_OPTION_NAMES } from '../options.js';
import { type ServingStatus, statusFromWire } from '../status.js';
import { type BackoffOptions, type HealthWatchEvent, HealthWatchLoop } from './watch-loop.js';
import { callStartFailure } from '../balancer/grpc-js-compat.js';

/** Default deadline of {@link HealthClient.check} and {@link HealthClient.list}: 1 s, as grpc-health-probe and Kubernetes use. */
export const DEFAULT_TIMEOUT_MS = 1000;

/** Options of every call. */
export interface CallOptions {
  /** Metadata (headers) to send. */
  metadata?: Metadata;
  /** Cancels the call: a pending Check or List rejects with `CANCELLED`, a Watch ends quietly. */
  signal?: AbortSignal;
}

/** Options of {@link HealthClient.check} and {@link HealthClient.list}. */
export interface UnaryCallOptions extends CallOptions {
  /**
   * The deadline, as a date or milliseconds from now, at most 2^31-1 ms (about 24.8
   * days) ahead. Defaults to the client's `timeoutMs`. Anything else rejects the
   * call with a {@link HealthArgumentError}.
   */
  deadline?: Date | number;
}

/** Options of {@link HealthClient.watch}. */
export type WatchOptions = CallOptions;

/** Options of {@link HealthClient.watchHealth}. */
export interface WatchHealthOptions extends CallOptions {
  /** Backoff between attempts that received no message (grpc-go's defaults). */
  backoff?: BackoffOptions;
}

// Events kept for a consumer that does not keep up; older ones are dropped first.
const MAX_QUEUED_EVENTS = 1000;

/** Options of the {@link HealthClient} constructor: grpc-js client options plus our defaults. */
export interface HealthClientOptions extends Partial<ClientOptions> {
  /** Deadline of Check and List calls that give none, in milliseconds. Default {@link DEFAULT_TIMEOUT_MS}. */
  timeoutMs?: number;
}

// grpc-js cannot send a timeout of 10^8 hours or more (it throws, out of the call), and
// setTimeout caps at 2^31-1 ms: the longest deadline accepted, about 24.8 days.
const MAX_DEADLINE_MS = 2 ** 31 - 1;

/**
 * The deadline of a call: a Date (not invalid, at most {@link MAX_DEADLINE_MS} ahead;
 * a past one fails the call with DEADLINE_EXCEEDED) or milliseconds in (0, 2^31-1].
 * @throws {@link HealthArgumentError} for anything else.
 */
function deadlineOf(deadline: unknown, fallbackMs: number): Date {
  if (deadline instanceof Date) {
    const ahead = deadline.getTime() - Date.now();
    if (Number.isNaN(ahead) || ahead > MAX_DEADLINE_MS) {
      throw new HealthArgumentError(`deadline must be a valid Date at most ${MAX_DEADLINE_MS} ms ahead`);
    }
    return deadline;
  }
  const ms = deadline ?? fallbackMs;
  if (typeof ms !== 'number' || !(ms > 0 && ms <= MAX_DEADLINE_MS)) {
    throw new HealthArgumentError(`deadline must be a number of milliseconds in (0, ${MAX_DEADLINE_MS}], got ${shownValue(ms)}`);
  }
  return new Date(Date.now() + ms);
}

/** Checks what a caller passed to a call, before grpc-js sees it. */
function checkCall(service: unknown, options: unknown): void {
  if (typeof service !== 'string') throw new HealthArgumentError(`service must be a string, got ${shownValue(service)}`);
  checkOptions('call options', options ?? null, HEALTH_CALL_OPTION_NAMES);
  const { metadata, signal } = options as CallOptions;
  if (metadata !== undefined && !(metadata instanceof Metadata)) throw new HealthArgumentError('metadata must be a grpc-js Metadata');
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new HealthArgumentError('signal must be an AbortSignal');
}

/**
 * A client of `grpc.health.v1.Health`.
 *
 * ```ts
 * const client = new HealthClient('127.0.0.1:50051', credentials.createInsecure());
 * const status = await client.check('echo.Echo');       // 'SERVING', 'NOT_SERVING', ...
 * for await (const s of client.watch('echo.Echo')) ...  // each change
 * ```
 */
export class HealthClient {
  /**
   * The generated grpc-js client underneath, for anything this class does not cover;
   * its List replies keep every service name (`__proto__` included), in an object
   * without a prototype.
   */
  readonly raw: GeneratedHealthClient;
  private readonly timeoutMs: number;
  private readonly ownsChannel: boolean;

  /**
   * @param target a grpc-js target (`host:port`, `dns:///name:port`, `unix:///path`)
   * @param credentials channel credentials, e.g. `credentials.createInsecure()`
   * @param options grpc-js client options (channel options, `channelOverride`) and `timeoutMs`
   */
  constructor(target: string, credentials: ChannelCredentials, options: HealthClientOptions = {}) {
    checkOptions('HealthClient options', options, HEALTH_CLIENT_OPTION_NAMES, GRPC_CHANNEL_OPTIONS);
    const { timeoutMs = DEFAULT_TIMEOUT_MS, ...clientOptions } = options;
    this.timeoutMs = timeoutMs;
    this.ownsChannel = clientOptions.channelOverride === undefined;
    deadlineOf(undefined, timeoutMs); // validates timeoutMs
    this.raw = new HealthRpcClient(target, credentials, clientOptions);
  }

  /** A client that calls over an existing grpc-js channel; `close()` then leaves the channel open. */
  static overChannel(channel: ChannelInterface, options: Omit<HealthClientOptions, 'channelOverride'> = {}): HealthClient {
    return new HealthClient('unused', undefined as unknown as ChannelCredentials, {
      ...options,
      channelOverride: channel,
    });
  }

  /**
   * Asks for the status of `service` (`""`, the default, is the whole server).
   *
   * Resolves with the status whatever it is (`NOT_SERVING` included); rejects with a
   * {@link HealthRpcError}: `NOT_FOUND` when the server does not know the service,
   * `UNIMPLEMENTED` when it has no health service, `DEADLINE_EXCEEDED`, `UNAVAILABLE`,
   * `CANCELLED` when aborted or when the client is closed...
   */
  check(service = '', options: UnaryCallOptions = {}): Promise<ServingStatus> {
    return this.unary('Check', service, options, (metadata, callOptions, done) =>
      this.raw.check({ service }, metadata, callOptions, (error, reply) => done(error, reply && statusFromWire(reply.status))),
    );
  }

  /**
   * Every service the server knows and its status (the `List` RPC, gRFC A90), each
   * name as the server sent it (`__proto__` and `constructor` included).
   * Rejects with `RESOURCE_EXHAUSTED` when the server has too many to list, and
   * `UNIMPLEMENTED` when the server predates List.
   */
  list(options: UnaryCallOptions = {}): Promise<Map<string, ServingStatus>> {
    return this.unary('List', undefined, options, (metadata, callOptions, done) =>
      this.raw.list({}, metadata, callOptions, (error, reply) =>
        done(error, reply && new Map(Object.entries(reply.statuses).map(([name, value]) => [name, statusFromWire(value.status)]))),
      ),
    );
  }

  /**
   * Watches `service` over one stream: yields the current status at once, then each
   * change. Ends when the server ends the stream with OK, when the loop is left
   * (`break`), or when `options.signal` aborts; throws a {@link HealthRpcError} for
   * any other ending (`UNIMPLEMENTED`, `UNAVAILABLE`, `CANCELLED` on a closed
   * client...). It does not reconnect.
   */
  async *watch(service = '', options: WatchOptions = {}): AsyncGenerator<ServingStatus, void, undefined> {
    checkCall(service, options);
    const { signal } = options;
    if (signal?.aborted) return;
    const call = this.startCall('Watch', service, () => this.raw.watch({ service }, options.metadata ?? new Metadata()));
    const cancel = (): void => call.cancel();
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      for await (const reply of call as AsyncIterable<{ status: number }>) {
        yield statusFromWire(reply.status);
      }
    } catch (error) {
      if (signal?.aborted && (error as ServiceError).code === GrpcStatus.CANCELLED) return;
      throw HealthRpcError.from('Watch', service, error as ServiceError);
    } finally {
      signal?.removeEventListener('abort', cancel);
      call.cancel();
    }
  }

  /**
   * Watches `service` for as long as the loop runs, surviving disconnects: yields
   * each status, each failure (with the delay before the next attempt), and ends
   * after `unimplemented` (the server has no health service) or `closed` (this
   * client was closed), when the loop is left, or when `options.signal` aborts.
   * Never throws for RPC failures. A connection that goes silent (a frozen server,
   * or on Node 20 a reply whose trailers exceed the header limit) shows only through
   * HTTP/2 keepalive: give the client `grpc.keepalive_time_ms` to notice it.
   * See {@link HealthWatchLoop} for the retry rules.
   */
  async *watchHealth(service = '', options: WatchHealthOptions = {}): AsyncGenerator<HealthWatchEvent, void, undefined> {
    checkCall(service, options);
    const { signal } = options;
    if (signal?.aborted) return;
    const queue: HealthWatchEvent[] = [];
    let wake: (() => void) | undefined;
    const loop = new HealthWatchLoop(
      this.raw,
      service,
      (event) => {
        if (queue.push(event) > MAX_QUEUED_EVENTS) queue.shift();
        wake?.();
      },
      { metadata: options.metadata, backoff: options.backoff },
    );
    const onAbort = (): void => {
      loop.stop();
      wake?.();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    loop.start();
    try {
      for (;;) {
        const event = queue.shift();
        if (event) {
          yield event;
          if (event.type === 'unimplemented' || event.type === 'closed') return;
        } else if (signal?.aborted) {
          return;
        } else {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      loop.stop();
    }
  }

  /**
   * Closes the channel (unless it was given to {@link overChannel}). Later calls
   * reject with a {@link HealthRpcError} `CANCELLED`, and `watchHealth` loops end with
   * a `closed` event once their open stream ends.
   */
  close(): void {
    // grpc-js's Client.close() closes an overriding channel too, which is not ours.
    if (this.ownsChannel) this.raw.close();
  }

  private unary<T>(
    method: 'Check' | 'List',
    service: string | undefined,
    options: UnaryCallOptions,
    start: (
      metadata: Metadata,
      callOptions: { deadline: Date },
      done: (error: ServiceError | null, value: T | undefined) => void,
    ) => { cancel(): void },
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      // Whatever throws in here (a bad argument) rejects the promise: never a throw out of a callback.
      checkCall(service ?? '', options);
      const { signal } = options;
      if (signal?.aborted) {
        reject(new HealthRpcError(method, GrpcStatus.CANCELLED, 'aborted before the call started', service, undefined));
        return;
      }
      const deadline = deadlineOf(options.deadline, this.timeoutMs);
      const cancel = (): void => call.cancel();
      const call = this.startCall(method, service, () =>
        start(options.metadata ?? new Metadata(), { deadline }, (error, value) => {
          signal?.removeEventListener('abort', cancel);
          if (error || value === undefined) {
            reject(HealthRpcError.from(method, service, error ?? { code: GrpcStatus.INTERNAL, details: 'empty reply' }));
          } else {
            resolve(value);
          }
        }),
      );
      signal?.addEventListener('abort', cancel, { once: true });
    });
  }

  /** Starts a call; what grpc-js throws instead of failing it (a closed client) becomes a {@link HealthRpcError}. */
  private startCall<T>(method: HealthRpcError['method'], service: string | undefined, start: () => T): T {
    try {
      return start();
    } catch (thrown) {
      throw HealthRpcError.from(method, service, callStartFailure(this.raw, thrown));
    }
  }
}
