/**
 * What the metrics adapters (prom-client, OpenTelemetry) export, gathered once:
 * counters kept from the change events of a {@link HealthServer}, a
 * {@link DependencyChecks} and the `health_check` balancer, and gauges read from
 * their state when a scrape or a collection asks. Nothing polls; nothing here
 * imports a metrics library.
 *
 * Label sets stay bounded: services are the registered names (a Watch on a
 * random name is counted in one unlabelled gauge), checks are the names added,
 * and backend series go when the backend leaves every channel.
 */
import type { BackendHealth, BackendHealthState } from '../balancer/backend-health.js';
import { backendHealth, onBackendHealthChange } from '../balancer/health-check-load-balancer.js';
import type { DependencyChecks } from '../checks/dependency-checks.js';
import { HealthArgumentError } from '../errors.js';
import { checkOptions } from '../options.js';
import type { HealthServer, SettableStatus, WatchStatus } from '../server/health-server.js';

/** Where the metrics come from; give any of them. */
export interface HealthMetricsSources {
  /** Server side: status, Watch streams and status changes per service. */
  health?: HealthServer;
  /** Dependency checks: run duration, failures and state per check. */
  checks?: DependencyChecks;
  /** Client side: every backend of every health-checked channel in this process. */
  balancer?: boolean;
}

/** One counted series: its labels and its count. */
export interface CountedSeries<L> {
  labels: L;
  value: number;
}

/** A check run's duration, as the collector reports it to the histogram of an adapter. */
export type CheckDurationSink = (check: string, seconds: number) => void;

function counterKey(parts: readonly string[]): string {
  return parts.join('\u0000');
}

/** The labels of one backend series. */
export interface BackendLabels {
  target: string;
  address: string;
  service: string;
}

function backendKey(backend: BackendLabels): string {
  return counterKey([backend.target, backend.address, backend.service]);
}

// What the collector remembers of one backend: the last health it answered, and its counts.
interface ObservedBackend {
  state?: BackendHealthState;
  changes: number;
  failures: number;
}

/** Every state the balancer reports of a backend, in the order the `state` label lists them. */
export const BALANCER_STATES: readonly BackendHealthState[] = Object.freeze([
  'IDLE',
  'CHECKING',
  'SERVING',
  'NOT_SERVING',
  'UNKNOWN',
  'SERVICE_UNKNOWN',
  'FAILED',
  'UNIMPLEMENTED',
] as const satisfies readonly BackendHealthState[]);

/** Keeps the counters and reads the gauges; adapters turn them into their library's instruments. */
export class HealthMetricsCollector {
  private readonly statusChanges = new Map<string, CountedSeries<{ service: string; status: WatchStatus }>>();
  private readonly checkFailures = new Map<string, number>();
  private readonly observed = new Map<string, ObservedBackend>();
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly sources: HealthMetricsSources,
    onCheckDuration: CheckDurationSink = () => {},
  ) {
    checkOptions('metrics sources', sources ?? null, ['health', 'checks', 'balancer']);
    if (!sources.health && !sources.checks && !sources.balancer) {
      throw new HealthArgumentError('metrics need at least one source: health, checks or balancer');
    }
    const { health, checks } = sources;
    if (health) {
      if (typeof health.onChange !== 'function') throw new HealthArgumentError('sources.health must be a HealthServer');
      this.unsubscribe.push(
        health.onChange(({ service, status }) => {
          const key = counterKey([service, status]);
          const series = this.statusChanges.get(key);
          if (series) series.value += 1;
          else this.statusChanges.set(key, { labels: { service, status }, value: 1 });
        }),
      );
    }
    if (checks) {
      if (typeof checks.onResult !== 'function') throw new HealthArgumentError('sources.checks must be a DependencyChecks');
      this.unsubscribe.push(
        checks.onResult((result) => {
          if (result.latencyMs !== undefined) onCheckDuration(result.name, result.latencyMs / 1000);
          // A run that failed leaves at least one consecutive failure behind it.
          if (result.consecutiveFailures > 0) this.checkFailures.set(result.name, (this.checkFailures.get(result.name) ?? 0) + 1);
        }),
      );
    }
    if (sources.balancer) {
      this.unsubscribe.push(
        onBackendHealthChange((backend) => {
          const key = backendKey(backend);
          let seen = this.observed.get(key);
          if (!seen) this.observed.set(key, (seen = { changes: 0, failures: 0 }));
          // Not connected, or connected and not answered yet: no health was observed, so nothing changed.
          if (backend.state !== 'IDLE' && backend.state !== 'CHECKING' && backend.state !== seen.state) {
            seen.state = backend.state;
            seen.changes += 1;
          }
          if (backend.state === 'FAILED') seen.failures += 1;
        }),
      );
    }
  }

  /** Registered services and their status (what Check answers). */
  serviceStatuses(): Map<string, SettableStatus> {
    return this.sources.health?.getStatuses() ?? new Map();
  }

  /** Open Watch streams per registered service. */
  watchers(): [service: string, count: number][] {
    const health = this.sources.health;
    if (!health) return [];
    return [...health.getStatuses().keys()].map((service) => [service, health.watcherCount(service)]);
  }

  /** Open Watch streams on names that are not registered (one number, no label per name). */
  unknownWatchers(): number {
    return this.sources.health?.unknownWatcherCount ?? 0;
  }

  /** Status changes per (service, new status) since the collector started. */
  statusChangeCounts(): Iterable<CountedSeries<{ service: string; status: WatchStatus }>> {
    return this.statusChanges.values();
  }

  /** Each check's state. */
  checkStates(): { check: string; state: 'pending' | 'healthy' | 'unhealthy' }[] {
    return (this.sources.checks?.results() ?? []).map((result) => ({ check: result.name, state: result.state }));
  }

  /** Failed runs per check since the collector started. */
  checkFailureCounts(): CountedSeries<{ check: string }>[] {
    return [...this.checkFailures].map(([check, value]) => ({ labels: { check }, value }));
  }

  /** Every backend of every health-checked channel, now. */
  backends(): BackendHealth[] {
    return this.sources.balancer ? backendHealth() : [];
  }

  /**
   * Changes of each backend's observed health (what its Watch said, FAILED or
   * UNIMPLEMENTED; the first answer counts), for every backend that exists now,
   * 0 for one not answered yet. A reconnection (IDLE, CHECKING, the same answer
   * again) is no change.
   */
  backendChangeCounts(): CountedSeries<BackendLabels>[] {
    return this.perBackend((seen) => seen?.changes ?? 0);
  }

  /** Failed Watch streams (each one retried) per backend that exists now, 0 for one with none. */
  backendFailureCounts(): CountedSeries<BackendLabels>[] {
    return this.perBackend((seen) => seen?.failures ?? 0);
  }

  /** Stops listening to the sources. */
  dispose(): void {
    for (const stop of this.unsubscribe.splice(0)) stop();
  }

  // Counts of backends that left every channel are dropped, so address churn does not grow the label set.
  private perBackend(count: (seen: ObservedBackend | undefined) => number): CountedSeries<BackendLabels>[] {
    const live = new Map<string, BackendLabels>();
    for (const { target, address, service } of this.backends())
      live.set(backendKey({ target, address, service }), { target, address, service });
    for (const key of this.observed.keys()) if (!live.has(key)) this.observed.delete(key);
    return [...live].map(([key, labels]) => ({ labels, value: count(this.observed.get(key)) }));
  }
}
