/**
 * Keeps a {@link FleetState} current: one connection per backend, one resilient
 * Watch loop per (backend, service) — the same loop the balancer runs — and a
 * periodic Check per (backend, service) for its round-trip time. `dns:` targets
 * are resolved again periodically; backends that appear are watched, backends
 * that go are dropped.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { HealthClient } from '../client/health-client.js';
import { type BackoffOptions, type HealthWatchEvent, HealthWatchLoop } from '../client/watch-loop.js';
import { HealthArgumentError, HealthRpcError } from '../errors.js';
import { FleetState } from './fleet-state.js';
import { type Backend, type HostLookup, resolveTarget, systemLookup, type Target } from './targets.js';

/** Options of {@link FleetWatcher}. */
export interface FleetWatcherOptions {
  /** What to watch. */
  targets: readonly Target[];
  /** Services watched on every backend. Default `[""]` (the whole server). */
  services?: readonly string[];
  /** Makes the client of one backend (credentials, headers, channel options). */
  clientFor: (backend: Backend) => HealthClient | Promise<HealthClient>;
  /** How often each (backend, service) is Checked for its round-trip time, ms. Default 5000; 0 turns it off. */
  rttIntervalMs?: number;
  /** How often `dns:` targets are resolved again, ms. Default 30000. */
  resolveIntervalMs?: number;
  /** Backoff of the Watch loops. Default: quicker than the library's, for a person watching (250 ms to 5 s). */
  backoff?: BackoffOptions;
  /** Resolves host names (the system resolver by default). */
  lookup?: HostLookup;
  /** Told about a callback of ours that failed; the watcher carries on. */
  onError?: (error: unknown) => void;
}

const DASHBOARD_BACKOFF: BackoffOptions = { initialMs: 250, multiplier: 1.6, jitter: 0.2, maxMs: 5000 };

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
  private resolveTimer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(private readonly options: FleetWatcherOptions) {
    if (options.targets.length === 0) throw new HealthArgumentError('no targets to watch');
    this.services = options.services && options.services.length > 0 ? [...new Set(options.services)] : [''];
    this.rttIntervalMs = positiveOrZero('rttIntervalMs', options.rttIntervalMs, 5000);
    this.resolveIntervalMs = positiveOrZero('resolveIntervalMs', options.resolveIntervalMs, 30_000);
    this.state = new FleetState(this.services, Date.now, (error) => this.report(error));
  }

  /** Resolves every target and starts watching; resolves once the first resolution is done. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.resolveAll();
    if (this.running && this.options.targets.some((target) => target.kind === 'dns') && this.resolveIntervalMs > 0) {
      const again = (): void => {
        this.resolveTimer = setTimeout(() => void this.resolveAll().finally(() => this.running && again()), this.resolveIntervalMs);
        this.resolveTimer.unref();
      };
      again();
    }
  }

  /** Stops every loop and timer and closes every connection. */
  stop(): void {
    this.running = false;
    clearTimeout(this.resolveTimer);
    for (const address of [...this.watched.keys()]) this.unwatch(address);
  }

  private async resolveAll(): Promise<void> {
    const lookup = this.options.lookup ?? systemLookup;
    const found = (await Promise.all(this.options.targets.map((target) => resolveTarget(target, lookup)))).flat();
    if (!this.running) return;
    const current = new Map(found.map((backend) => [backend.address, backend]));
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
      for (const service of this.services)
        this.state.setStatus(address, service, 'UNREACHABLE', `no client: ${String((error as Error)?.message ?? error)}`);
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
      // Spread the Checks of many backends over the interval instead of bursting them.
      const measure = (): void => {
        watched.rttTimer = setTimeout(
          () => {
            void this.measureRtt(address, watched).finally(() => this.watched.get(address) === watched && measure());
          },
          this.rttIntervalMs * (0.5 + Math.random()),
        );
        watched.rttTimer.unref();
      };
      void this.measureRtt(address, watched).finally(measure);
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
      // A stream that broke after a status leaves the backend unknown until it answers again.
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
