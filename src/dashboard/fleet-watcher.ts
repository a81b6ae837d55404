/**
 * Keeps a {@link FleetState} current: one connection per backend, one resilient
 * Watch loop per (backend, service) — the same loop the balancer runs — and a
 * periodic Check per (backend, service) for its round-trip time. `dns:` targets
 * are resolved again periodically; backends that appear are watched, backends
 * that go are dropped. A failed resolution keeps the target's last good
 * addresses (as grpc-js and grpc-go do), shows the error on the target's row and
 * is retried with backoff.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { Backoff } from '../client/backoff.js';
import type { HealthClient } from '../client/health-client.js';
import { type BackoffOptions, type HealthWatchEvent, HealthWatchLoop } from '../client/watch-loop.js';
import { HealthArgumentError, HealthRpcError } from '../errors.js';
import { FleetState, type FleetTarget } from './fleet-state.js';
import { inShard, type Shard, WHOLE_FLEET } from './shard.js';
import { type Backend, type HostLookup, resolveTarget, systemLookup, type Target } from './targets.js';

/** Options of {@link FleetWatcher}. */
export interface FleetWatcherOptions {
  /** What to watch. */
  targets: readonly Target[];
  /** Services watched on every backend. Default `[""]` (the whole server). */
  services?: readonly string[];
  /**
   * Makes the client of one backend (credentials, headers, channel options). With
   * thousands of backends, give each channel `'grpc.use_local_subchannel_pool': 1`:
   * grpc-js's shared pool is walked whole on every channel close and every 10 s.
   */
  clientFor: (backend: Backend) => HealthClient | Promise<HealthClient>;
  /** How often each (backend, service) is Checked for its round-trip time, ms. Default 5000; 0 turns it off. */
  rttIntervalMs?: number;
  /** How often `dns:` targets are resolved again, ms. Default 30000; 0: not again after a success (a failure is still retried). */
  resolveIntervalMs?: number;
  /** Backoff of the Watch loops. Default: quicker than the library's, for a person watching (250 ms to 5 s). */
  backoff?: BackoffOptions;
  /** Backoff between attempts to resolve a target whose resolution failed. Default 1 s, ×1.6, ±20 %, 30 s. */
  resolveBackoff?: BackoffOptions;
  /** Resolves host names (the system resolver by default). */
  lookup?: HostLookup;
  /** Watch only the backends of this shard (see `shard.ts`). Default: every backend. */
  shard?: Shard;
  /** Told when a target's error appears, changes or goes (`error` absent: it resolves again). */
  onTargetError?: (target: FleetTarget) => void;
  /** Told about a callback of ours that failed; the watcher carries on. */
  onError?: (error: unknown) => void;
}

const DASHBOARD_BACKOFF: BackoffOptions = { initialMs: 250, multiplier: 1.6, jitter: 0.2, maxMs: 5000 };
const RESOLVE_BACKOFF: BackoffOptions = { initialMs: 1000, multiplier: 1.6, jitter: 0.2, maxMs: 30_000 };

/** One target and its last good resolution. */
interface Resolving {
  target: Target;
  /** The backends of the last good resolution. */
  backends: Backend[];
  lastResolvedAt?: number;
  error?: string;
  backoff: Backoff;
  timer?: NodeJS.Timeout;
}

interface Watched {
  client: HealthClient;
  loops: HealthWatchLoop[];
  rttTimer?: NodeJS.Timeout;
}

function positiveOrZero(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0 || value > 2 ** 31 - 1) {
    throw new HealthArgumentError(`${name} must be a number of milliseconds from 0 to 2147483647, got ${String(value)}`);
  }
  return value;
}

/** Watches a fleet into {@link FleetWatcher.state}. */
export class FleetWatcher {
  /** The state this watcher keeps current. */
  readonly state: FleetState;
  private readonly services: readonly string[];
  private readonly rttIntervalMs: number;
  private readonly resolveIntervalMs: number;
  private readonly watched = new Map<string, Watched>();
  private readonly resolving: Resolving[];
  private readonly shard: Shard;
  private running = false;

  constructor(private readonly options: FleetWatcherOptions) {
    if (options.targets.length === 0) throw new HealthArgumentError('no targets to watch');
    this.services = options.services && options.services.length > 0 ? [...new Set(options.services)] : [''];
    this.rttIntervalMs = positiveOrZero('rttIntervalMs', options.rttIntervalMs, 5000);
    this.resolveIntervalMs = positiveOrZero('resolveIntervalMs', options.resolveIntervalMs, 30_000);
    const resolveBackoff = { ...RESOLVE_BACKOFF, ...options.resolveBackoff };
    // The same target given twice is one row.
    const unique = new Map(options.targets.map((target) => [target.text, target]));
    this.resolving = [...unique.values()].map((target) => ({
      target,
      backends: [],
      backoff: new Backoff(resolveBackoff, 'resolveBackoff'),
    }));
    this.shard = options.shard ?? WHOLE_FLEET;
    if (
      !Number.isInteger(this.shard.count) ||
      this.shard.count < 1 ||
      !Number.isInteger(this.shard.index) ||
      this.shard.index < 0 ||
      this.shard.index >= this.shard.count
    ) {
      throw new HealthArgumentError(`shard must be { index, count } with 0 <= index < count, got ${JSON.stringify(this.shard)}`);
    }
    this.state = new FleetState(this.services, Date.now, (error) => this.report(error));
    this.state.shard = { ...this.shard };
    // Rows in the order given, before any resolution answers.
    for (const { target } of this.resolving) this.state.setTarget({ target: target.text, addresses: [] });
  }

  /** Resolves every target and starts watching; resolves once the first resolution is done. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await Promise.all(this.resolving.map((entry) => this.resolve(entry, false)));
    await this.reconcile();
  }

  /** Stops every loop and timer and closes every connection. */
  stop(): void {
    this.running = false;
    for (const entry of this.resolving) clearTimeout(entry.timer);
    for (const address of [...this.watched.keys()]) this.unwatch(address);
  }

  /**
   * Resolves one target, records its row, and schedules the next attempt: after
   * the resolve interval when it worked, with backoff when it failed. A failure
   * keeps the last good backends: a DNS hiccup must not empty the fleet.
   */
  private async resolve(entry: Resolving, thenReconcile = true): Promise<void> {
    const { target } = entry;
    const result = await resolveTarget(target, this.options.lookup ?? systemLookup);
    if (!this.running) return;
    const now = Date.now();
    const previousError = entry.error;
    let retryInMs: number | undefined;
    if (result.error === undefined) {
      entry.backends = result.backends;
      entry.lastResolvedAt = now;
      entry.error = undefined;
      entry.backoff.reset();
      if (target.kind === 'dns' && this.resolveIntervalMs > 0) retryInMs = this.resolveIntervalMs;
    } else {
      entry.error = result.error;
      // A target that does not parse never will; a name is tried again.
      if (target.kind === 'dns') retryInMs = entry.backoff.next();
    }
    const row: FleetTarget = { target: target.text, addresses: entry.backends.map((backend) => backend.address) };
    if (entry.error !== undefined) row.error = entry.error;
    if (entry.lastResolvedAt !== undefined) row.lastResolvedAt = entry.lastResolvedAt;
    if (retryInMs !== undefined) {
      row.nextAttemptAt = now + retryInMs;
      clearTimeout(entry.timer); // one schedule per target, even if a stop() and start() overlapped a lookup
      entry.timer = setTimeout(() => void this.resolve(entry), retryInMs);
      entry.timer.unref();
    }
    this.state.setTarget(row);
    if (entry.error !== previousError) this.guard(() => this.options.onTargetError?.(row));
    if (thenReconcile) await this.reconcile();
  }

  /** Watches the backends every target stands for now (in this shard), and drops the others. */
  private async reconcile(): Promise<void> {
    if (!this.running) return;
    const current = new Map<string, Backend>();
    for (const entry of this.resolving) {
      for (const backend of entry.backends) {
        if (!current.has(backend.address) && inShard(backend.address, this.shard)) current.set(backend.address, backend);
      }
    }
    for (const address of this.state.addresses()) {
      if (current.has(address)) continue;
      this.unwatch(address);
      this.state.removeBackend(address); // also one whose client could not be made
    }
    await Promise.all([...current.values()].filter((backend) => !this.watched.has(backend.address)).map((backend) => this.watch(backend)));
  }

  private async watch(backend: Backend): Promise<void> {
    const { address } = backend;
    this.state.addBackend(address, backend.target);
    let client: HealthClient;
    try {
      client = await this.options.clientFor(backend);
    } catch (error) {
      // Not watched, so the next resolution tries again.
      this.report(error);
      for (const service of this.services) {
        this.state.countWatchFailure(address, service); // an attempt that could not even start
        this.state.setStatus(address, service, 'UNREACHABLE', `no client: ${String((error as Error)?.message ?? error)}`);
      }
      return;
    }
    if (!this.running || this.watched.has(address) || !this.state.backend(address)) {
      client.close(); // stopped, or dropped, while the client was being made
      return;
    }
    const backoff = this.options.backoff ?? DASHBOARD_BACKOFF;
    const loops = this.services.map(
      (service) =>
        new HealthWatchLoop(client.raw, service, (event) => this.guard(() => this.onWatchEvent(address, service, event)), {
          backoff,
        }),
    );
    const watched: Watched = { client, loops };
    this.watched.set(address, watched);
    for (const loop of loops) loop.start();
    if (this.rttIntervalMs > 0) {
      // Spread the Checks of many backends over the interval instead of bursting
      // them, the first ones too: thousands of backends start together, and a burst
      // of Checks beside their Watch calls times out and stalls the process.
      const measure = (delayMs: number): void => {
        watched.rttTimer = setTimeout(() => {
          void this.measureRtt(address, watched).finally(
            () => this.watched.get(address) === watched && measure(this.rttIntervalMs * (0.5 + Math.random())),
          );
        }, delayMs);
        watched.rttTimer.unref();
      };
      measure(this.rttIntervalMs * Math.random());
    }
  }

  private unwatch(address: string): void {
    const watched = this.watched.get(address);
    if (!watched) return;
    this.watched.delete(address);
    clearTimeout(watched.rttTimer);
    for (const loop of watched.loops) loop.stop();
    watched.client.close();
    this.state.removeBackend(address);
  }

  private onWatchEvent(address: string, service: string, event: HealthWatchEvent): void {
    if (event.type === 'status') {
      this.state.setStatus(address, service, event.status);
    } else if (event.type === 'unimplemented') {
      this.state.setStatus(address, service, 'UNIMPLEMENTED', 'the server has no grpc.health.v1.Health service');
    } else {
      // A stream that broke after a status leaves the backend unknown until it answers again; every failed attempt counts.
      this.state.countWatchFailure(address, service);
      const detail = (event.error.code === GrpcStatus.UNAVAILABLE ? event.error.details : event.error.message).replace(
        /\. Resolution note: $/,
        '',
      );
      this.state.setStatus(address, service, 'UNREACHABLE', detail);
    }
  }

  private async measureRtt(address: string, watched: Watched): Promise<void> {
    for (const service of this.services) {
      if (this.watched.get(address) !== watched) return;
      const started = performance.now();
      try {
        await watched.client.check(service);
        this.state.setRtt(address, service, Math.round((performance.now() - started) * 100) / 100);
      } catch (error) {
        // NOT_FOUND is an answer too: the round trip still counts.
        const answered = error instanceof HealthRpcError && error.code === GrpcStatus.NOT_FOUND;
        this.state.setRtt(address, service, answered ? Math.round((performance.now() - started) * 100) / 100 : undefined);
      }
    }
  }

  private guard(run: () => void): void {
    try {
      run();
    } catch (error) {
      this.report(error);
    }
  }

  private report(error: unknown): void {
    try {
      this.options.onError?.(error);
    } catch {
      // the reporter itself failed: nothing more to do
    }
  }
}
