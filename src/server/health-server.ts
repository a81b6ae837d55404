/**
 * `HealthServer`: the health core (statuses, watchers, the protocol's rules) and
 * its grpc-js handlers.
 *
 * All state lives here: the published statuses (what Check, Watch and List see),
 * the statuses held back while shut down, and the open watches by service. A
 * status change touches only the watchers of that one service. The core knows no
 * transport: adapters (grpc-js below, `grpc-health-kit/connect`, ...) call
 * {@link HealthServer.check}, {@link HealthServer.list} and
 * {@link HealthServer.watch} and map {@link HealthRequestError} codes to their
 * stack's status.
 */
import type { sendUnaryData, Server, ServerUnaryCall, ServiceError, status as GrpcStatus } from '@grpc/grpc-js';
import type {
  HealthCheckRequest,
  HealthCheckResponse,
  HealthListRequest,
  HealthListResponse,
  HealthServer as HealthHandlers,
} from '../generated/grpc/health/v1/health.js';
import { HealthArgumentError, HealthKitError, HealthRequestError } from '../errors.js';
import { GrpcCode } from '../grpc-code.js';
import { checkOptions, optionNames } from '../options.js';
import { errorText } from '../shown-value.js';
import { isServingStatus, type ServingStatus } from '../status.js';
import { CACHED_HEALTH_SERVICE, RESPONSES } from './responses.js';
import { StatusStream } from './status-stream.js';
import type { StatusSubscriber, WatchStatus } from './subscriber.js';
import { type WatchCall, Watcher } from './watcher.js';

export type { WatchStatus } from './subscriber.js';

/** A status a service can be given: every status but `SERVICE_UNKNOWN`, which only Watch sends. */
export type SettableStatus = Exclude<ServingStatus, 'SERVICE_UNKNOWN'>;

/** Options of {@link HealthServer}. */
export interface HealthServerOptions {
  /**
   * Statuses to start with. The whole server, `""`, starts `SERVING` unless given
   * here (as in grpc-go).
   */
  statuses?: Readonly<Record<string, SettableStatus>>;
  /** List answers `RESOURCE_EXHAUSTED` when more services than this are known. Default 100 (gRFC A90). */
  maxListedServices?: number;
  /**
   * At most this many Watch streams at once on names that are not registered;
   * more are refused with `RESOURCE_EXHAUSTED`, so random names cannot grow the
   * server's memory. Default 1000.
   */
  maxUnknownWatchers?: number;
  /**
   * Longest service name, in UTF-16 code units. `setStatus` refuses longer names,
   * Check answers `NOT_FOUND` for them and Watch `INVALID_ARGUMENT`. Default 1024.
   */
  maxServiceNameLength?: number;
}

/**
 * One published status change, as {@link HealthServer.onChange} reports it.
 * `SERVICE_UNKNOWN` stands for "not registered": as `previous` when a service is
 * first set, as `status` when it is cleared.
 */
export interface HealthChange {
  /** The service name (`""` is the whole server). */
  readonly service: string;
  /** The status Check and Watch answer from now on. */
  readonly status: WatchStatus;
  /** The status they answered before. */
  readonly previous: WatchStatus;
}

/** Receives every published status change. */
export type HealthChangeListener = (change: HealthChange) => void;

/** Options of {@link HealthServer.watch}. */
export interface HealthWatchOptions {
  /** Ends the watch when aborted (the iterator completes). */
  signal?: AbortSignal;
}

/** The names of {@link HealthServerOptions}, for modules that take them among their own. */
export const HEALTH_SERVER_OPTION_NAMES = optionNames<HealthServerOptions>({
  statuses: true,
  maxListedServices: true,
  maxUnknownWatchers: true,
  maxServiceNameLength: true,
});

const WATCH_OPTION_NAMES = optionNames<HealthWatchOptions>({ signal: true });

/**
 * Changes that listeners may publish while being told of one (they queue behind it):
 * past this, listeners are setting statuses in a cycle, which would otherwise loop
 * for ever inside setStatus.
 */
const MAX_CHANGES_PER_DELIVERY = 100_000;

/** Default of {@link HealthServerOptions.maxListedServices}. */
export const DEFAULT_MAX_LISTED_SERVICES = 100;
/** Default of {@link HealthServerOptions.maxUnknownWatchers}. */
export const DEFAULT_MAX_UNKNOWN_WATCHERS = 1000;
/** Default of {@link HealthServerOptions.maxServiceNameLength}. */
export const DEFAULT_MAX_SERVICE_NAME_LENGTH = 1024;

// Names echoed in error messages are cut to this length to keep trailers small.
const QUOTED_NAME_LIMIT = 100;

function quote(service: string): string {
  const shown = service.length > QUOTED_NAME_LIMIT ? `${service.slice(0, QUOTED_NAME_LIMIT)}...` : service;
  return JSON.stringify(shown);
}

function rpcError(error: HealthRequestError): Partial<ServiceError> {
  return { code: error.code as number as GrpcStatus, details: error.details, message: error.details };
}

function nonNegativeInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) {
    throw new HealthArgumentError(`${name} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

/**
 * The server side of the gRPC health checking protocol, with grpc-go's semantics.
 *
 * ```ts
 * const health = new HealthServer();
 * health.addToServer(server);
 * health.setStatus('echo.Echo', 'SERVING');
 * ```
 *
 * Where it differs from grpc-go (each on purpose, see the README): `resume()`
 * restores the statuses set before and during shutdown instead of making every
 * service SERVING; watches on unregistered names are capped; over-long names are
 * refused; empty watcher sets are removed.
 */
export class HealthServer {
  /** What Check, Watch and List answer. */
  private readonly published = new Map<string, SettableStatus>();
  /** While shut down: the statuses the application has set, published on resume(). */
  private held: Map<string, SettableStatus> | undefined;
  private readonly watchers = new Map<string, Set<StatusSubscriber>>();
  private readonly listeners = new Set<HealthChangeListener>();
  /** Changes not yet delivered to every listener, oldest first (see emitChange). */
  private pendingChanges: HealthChange[] = [];
  private emitting = false;
  private readonly reportedListeners = new WeakSet<HealthChangeListener>();
  /** Set by endWatches(), cleared by resume(): how every watch opened meanwhile ends at once. */
  private watchesEnded: { code: GrpcCode; details: string } | undefined;
  private totalWatchers = 0;
  private unknownWatchers = 0;

  private readonly maxListedServices: number;
  private readonly maxUnknownWatchers: number;
  private readonly maxServiceNameLength: number;

  /** @throws {@link HealthArgumentError} for an unknown option or a bad value. */
  constructor(options: HealthServerOptions = {}) {
    checkOptions('HealthServer options', options, HEALTH_SERVER_OPTION_NAMES);
    if (options.statuses !== undefined && (typeof options.statuses !== 'object' || options.statuses === null)) {
      throw new HealthArgumentError('statuses must be an object of service names and statuses');
    }
    this.maxListedServices = nonNegativeInteger('maxListedServices', options.maxListedServices, DEFAULT_MAX_LISTED_SERVICES);
    this.maxUnknownWatchers = nonNegativeInteger('maxUnknownWatchers', options.maxUnknownWatchers, DEFAULT_MAX_UNKNOWN_WATCHERS);
    this.maxServiceNameLength = nonNegativeInteger('maxServiceNameLength', options.maxServiceNameLength, DEFAULT_MAX_SERVICE_NAME_LENGTH);
    this.setStatus('', 'SERVING');
    for (const [service, status] of Object.entries(options.statuses ?? {})) this.setStatus(service, status);
  }

  /** Registers `grpc.health.v1.Health` on a grpc-js server. Call before `bindAsync`/`start`. */
  addToServer(server: Server): void {
    server.addService(CACHED_HEALTH_SERVICE, this.handlers);
  }

  /**
   * Sets the status of `service` (`""` is the whole server) and tells its watchers.
   * While shut down the status is remembered, not published, until {@link resume}.
   *
   * @throws {@link HealthArgumentError} for `SERVICE_UNKNOWN`, a status that is not
   * one of the names, or a name longer than `maxServiceNameLength`.
   */
  setStatus(service: string, status: SettableStatus): void {
    if (typeof service !== 'string') throw new HealthArgumentError('service must be a string');
    if (service.length > this.maxServiceNameLength) {
      throw new HealthArgumentError(`service name is ${service.length} characters, over the limit of ${this.maxServiceNameLength}`);
    }
    if (!isServingStatus(status) || (status as ServingStatus) === 'SERVICE_UNKNOWN') {
      throw new HealthArgumentError(`status must be SERVING, NOT_SERVING or UNKNOWN, got ${String(status)}`);
    }
    if (this.held) {
      this.held.set(service, status);
      // A service first named during shutdown is known, and not serving.
      if (!this.published.has(service)) this.publish(service, 'NOT_SERVING');
    } else {
      this.publish(service, status);
    }
  }

  /**
   * Forgets `service`: Check answers NOT_FOUND and its watchers get SERVICE_UNKNOWN
   * (as grpc-java's `clearStatus`). While shut down, takes effect on {@link resume}.
   */
  clearStatus(service: string): void {
    if (this.held) {
      this.held.delete(service);
    } else {
      this.unpublish(service);
    }
  }

  /** The status Check answers for `service`, or `undefined` when it is not registered. */
  getStatus(service: string): SettableStatus | undefined {
    return this.published.get(service);
  }

  /** Every registered service and the status Check answers for it. */
  getStatuses(): Map<string, SettableStatus> {
    return new Map(this.published);
  }

  /**
   * Makes every service NOT_SERVING, as before a server stops. Later `setStatus`
   * and `clearStatus` calls are remembered but not published until {@link resume}.
   */
  shutdown(): void {
    if (this.held) return;
    this.held = new Map(this.published);
    for (const service of this.published.keys()) this.publish(service, 'NOT_SERVING');
  }

  /**
   * Ends shutdown: publishes the statuses the application set, before shutdown or
   * during it. (grpc-go's `Resume` makes every service SERVING instead.)
   */
  resume(): void {
    this.watchesEnded = undefined;
    const target = this.held;
    if (!target) return;
    this.held = undefined;
    for (const service of [...this.published.keys()]) {
      if (!target.has(service)) this.unpublish(service);
    }
    for (const [service, status] of target) this.publish(service, status);
  }

  /**
   * Ends every open Watch stream, with `UNAVAILABLE` ("server shutting down") by
   * default. Open Watch streams keep grpc-js's `tryShutdown()` waiting forever
   * (the gap grpc-go #8776 describes); call this right after `tryShutdown()`, or let
   * `gracefulShutdown` do it. Clients treat the ending as a failed stream and look
   * elsewhere. Returns how many streams were ended.
   *
   * Until {@link resume}, a Watch that arrives later (on every transport) ends at
   * once the same way: a call whose request reached the server after the stop
   * began would otherwise hold `tryShutdown` open again.
   */
  endWatches(code: GrpcStatus | GrpcCode = GrpcCode.UNAVAILABLE, details = 'server shutting down'): number {
    this.watchesEnded = { code: code as GrpcCode, details };
    let ended = 0;
    for (const set of [...this.watchers.values()]) {
      for (const watcher of [...set]) {
        this.removeWatcher(watcher);
        watcher.end(code as GrpcCode, details);
        ended += 1;
      }
    }
    return ended;
  }

  /**
   * The status Check answers for `service`.
   *
   * @throws {@link HealthRequestError} `NOT_FOUND` when it is not registered.
   */
  check(service: string): SettableStatus {
    const status = this.published.get(service);
    if (status === undefined) throw new HealthRequestError(GrpcCode.NOT_FOUND, `unknown service ${quote(service)}`);
    return status;
  }

  /**
   * What List answers: every registered service and its status.
   *
   * @throws {@link HealthRequestError} `RESOURCE_EXHAUSTED` when more than
   * `maxListedServices` are registered (gRFC A90).
   */
  list(): Map<string, SettableStatus> {
    if (this.published.size > this.maxListedServices) {
      throw new HealthRequestError(GrpcCode.RESOURCE_EXHAUSTED, `server health list exceeds maximum capacity: ${this.maxListedServices}`);
    }
    return new Map(this.published);
  }

  /**
   * Watches one service: the current status first (`SERVICE_UNKNOWN` when it is
   * not registered), then each change. Latest wins: a reader that falls behind
   * gets the newest status, never a queue, and never the same status twice in a
   * row.
   *
   * The watch is registered at once (it counts in {@link watcherCount}) and lasts
   * until the reader returns (`break` in `for await`), `options.signal` aborts, or
   * {@link endWatches} ends it: with `OK` the iterator completes, with any other
   * code it throws a {@link HealthRequestError} carrying that code. After
   * `endWatches` and until {@link resume}, a new watch ends that way at once.
   *
   * @throws {@link HealthRequestError} `INVALID_ARGUMENT` for a name longer than
   * `maxServiceNameLength`, `RESOURCE_EXHAUSTED` when `maxUnknownWatchers`
   * watches of unregistered names are open.
   */
  watch(service: string, options: HealthWatchOptions = {}): AsyncIterableIterator<WatchStatus> {
    if (typeof service !== 'string') throw new HealthArgumentError('service must be a string');
    checkOptions('watch options', options, WATCH_OPTION_NAMES);
    const signal = options.signal;
    const stream = new StatusStream(service, (s) => this.removeWatcher(s), signal);
    if (signal?.aborted) {
      void stream.return();
      return stream;
    }
    try {
      this.addWatcher(stream);
    } catch (error) {
      void stream.return();
      throw error;
    }
    return stream;
  }

  /**
   * Calls `listener` after every published status change (including those of
   * {@link shutdown}, {@link resume} and {@link clearStatus}; not the changes held
   * back during shutdown), in the order they were published, also when a
   * listener sets a status itself. A listener that throws is reported once (a
   * `process.emitWarning`) and the others still run. Returns a function that
   * removes the listener.
   */
  onChange(listener: HealthChangeListener): () => void {
    if (typeof listener !== 'function') throw new HealthArgumentError('onChange needs a function');
    // Each registration is its own entry, so the same function added twice is removed once per call.
    const entry: HealthChangeListener = (change) => listener(change);
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  /** True between {@link shutdown} and {@link resume}. */
  get isShutdown(): boolean {
    return this.held !== undefined;
  }

  /** Open Watch streams: of one service, or of all when `service` is omitted. */
  watcherCount(service?: string): number {
    return service === undefined ? this.totalWatchers : (this.watchers.get(service)?.size ?? 0);
  }

  /** Open Watch streams on names that are not registered (capped by `maxUnknownWatchers`). */
  get unknownWatcherCount(): number {
    return this.unknownWatchers;
  }

  private publish(service: string, status: SettableStatus): void {
    const previous = this.published.get(service);
    if (previous === status) return;
    this.published.set(service, status);
    const set = this.watchers.get(service);
    if (set) {
      if (previous === undefined) this.unknownWatchers -= set.size;
      for (const watcher of set) watcher.offer(status);
    }
    if (this.listeners.size > 0) this.emitChange({ service, status, previous: previous ?? 'SERVICE_UNKNOWN' });
  }

  private unpublish(service: string): void {
    const previous = this.published.get(service);
    if (previous === undefined) return;
    this.published.delete(service);
    const set = this.watchers.get(service);
    if (set) {
      this.unknownWatchers += set.size;
      for (const watcher of set) watcher.offer('SERVICE_UNKNOWN');
    }
    if (this.listeners.size > 0) this.emitChange({ service, status: 'SERVICE_UNKNOWN', previous });
  }

  private emitChange(change: HealthChange): void {
    if (this.emitting && this.pendingChanges.length >= MAX_CHANGES_PER_DELIVERY) {
      // Thrown to the listener that set the status (its throw is reported once); the status stays set.
      throw new HealthKitError(
        `onChange listeners published ${MAX_CHANGES_PER_DELIVERY} changes while being told of one (statuses set in a cycle?): ` +
          `the change of ${quote(change.service)} to ${change.status} is not delivered to listeners`,
      );
    }
    this.pendingChanges.push(Object.freeze(change));
    // A listener that sets a status re-enters here: its change waits for the one being
    // delivered, so every listener sees the changes in the order they were published.
    if (this.emitting) return;
    this.emitting = true;
    try {
      for (let i = 0; i < this.pendingChanges.length; i++) {
        const pending = this.pendingChanges[i]!;
        for (const listener of [...this.listeners]) this.callListener(listener, pending);
      }
    } finally {
      this.pendingChanges = [];
      this.emitting = false;
    }
  }

  private callListener(listener: HealthChangeListener, change: HealthChange): void {
    try {
      listener(change);
    } catch (error) {
      // Reported once per listener: one that throws on every change would flood the log.
      if (this.reportedListeners.has(listener)) return;
      this.reportedListeners.add(listener);
      let detail: string | undefined;
      try {
        detail = error instanceof Error ? error.stack : undefined;
      } catch {
        // a throwing getter: the message is enough
      }
      process.emitWarning(`grpc-health-kit: an onChange listener threw (reported once): ${errorText(error)}`, {
        code: 'GRPC_HEALTH_KIT_LISTENER',
        detail,
      });
    }
  }

  /**
   * Registers a watch after the core's rules (name length, the cap on unknown
   * names) and offers it the current status; after endWatches(), ends it instead.
   * Returns whether it was registered.
   *
   * @throws {@link HealthRequestError} when the rules refuse it.
   */
  private addWatcher(watcher: StatusSubscriber): boolean {
    if (this.watchesEnded) {
      watcher.end(this.watchesEnded.code, this.watchesEnded.details);
      return false;
    }
    const service = watcher.service;
    if (service.length > this.maxServiceNameLength) {
      throw new HealthRequestError(
        GrpcCode.INVALID_ARGUMENT,
        `service name is ${service.length} characters, over the limit of ${this.maxServiceNameLength}`,
      );
    }
    const status = this.published.get(service);
    if (status === undefined) {
      if (this.unknownWatchers >= this.maxUnknownWatchers) {
        throw new HealthRequestError(
          GrpcCode.RESOURCE_EXHAUSTED,
          `too many watches of unregistered services (limit ${this.maxUnknownWatchers})`,
        );
      }
      this.unknownWatchers += 1;
    }
    let set = this.watchers.get(service);
    if (!set) {
      set = new Set();
      this.watchers.set(service, set);
    }
    set.add(watcher);
    this.totalWatchers += 1;
    watcher.offer(status ?? 'SERVICE_UNKNOWN');
    return true;
  }

  private removeWatcher(watcher: StatusSubscriber): void {
    const set = this.watchers.get(watcher.service);
    if (!set?.delete(watcher)) return;
    if (set.size === 0) this.watchers.delete(watcher.service);
    this.totalWatchers -= 1;
    if (!this.published.has(watcher.service)) this.unknownWatchers -= 1;
  }

  // The grpc-js adapter: Check is one map lookup and a cached reply.
  private handleCheck(call: ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>, callback: sendUnaryData<HealthCheckResponse>): void {
    const service = call.request.service;
    const status = this.published.get(service);
    if (status === undefined) {
      callback(rpcError(new HealthRequestError(GrpcCode.NOT_FOUND, `unknown service ${quote(service)}`)));
    } else {
      callback(null, RESPONSES[status]);
    }
  }

  private handleList(_call: ServerUnaryCall<HealthListRequest, HealthListResponse>, callback: sendUnaryData<HealthListResponse>): void {
    let listed: Map<string, SettableStatus>;
    try {
      listed = this.list();
    } catch (error) {
      callback(rpcError(error as HealthRequestError));
      return;
    }
    // No prototype: a service named "__proto__" is a key like any other.
    const statuses: HealthListResponse['statuses'] = Object.create(null);
    for (const [service, status] of listed) statuses[service] = RESPONSES[status];
    callback(null, { statuses });
  }

  private handleWatch(call: WatchCall): void {
    if (call.cancelled) return;
    const watcher = new Watcher(call.request.service, call);
    try {
      if (!this.addWatcher(watcher)) return;
    } catch (error) {
      call.emit('error', rpcError(error as HealthRequestError));
      return;
    }
    // grpc-js emits 'cancelled' once whenever a server call ends, for any reason.
    call.once('cancelled', () => this.removeWatcher(watcher));
  }

  private readonly handlers: HealthHandlers = {
    check: (call, callback) => this.handleCheck(call, callback),
    list: (call, callback) => this.handleList(call, callback),
    watch: (call) => this.handleWatch(call),
  };
}
