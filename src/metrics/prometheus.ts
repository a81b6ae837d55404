/**
 * `grpc-health-kit/prometheus`: health metrics on a prom-client `Registry`.
 *
 * ```ts
 * import { Registry } from 'prom-client';
 * import { registerHealthMetrics } from 'grpc-health-kit/prometheus';
 * const registry = new Registry();
 * const metrics = registerHealthMetrics(registry, { health, checks, balancer: true });
 * // serve `await registry.metrics()` on /metrics; metrics.dispose() to stop.
 * ```
 *
 * prom-client is an optional peer dependency: only this entry point loads it.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { HealthArgumentError } from '../errors.js';
import { checkOptions } from '../options.js';
import { BACKEND_LABELS, BACKEND_METRICS, METRIC_PREFIX, STATE_LABEL } from './backend-metrics.js';
import { BALANCER_STATES, HealthMetricsCollector, type HealthMetricsSources } from './health-metrics-collector.js';

export type { HealthMetricsSources } from './health-metrics-collector.js';

/** Options of {@link registerHealthMetrics}. */
export interface PrometheusHealthMetricsOptions {
  /** Prefix of every metric name. Default `grpc_health_`. */
  prefix?: string;
  /** Buckets of the check duration histogram, seconds. Default 1 ms to 10 s. */
  checkDurationBuckets?: number[];
}

/** What {@link registerHealthMetrics} returns. */
export interface RegisteredHealthMetrics {
  /** Stops listening and removes the metrics from the registry. */
  dispose(): void;
}

const SERVICE_STATUSES = ['SERVING', 'NOT_SERVING', 'UNKNOWN'] as const;
const CHECK_STATES = ['pending', 'healthy', 'unhealthy'] as const;
const DEFAULT_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Registers the health metrics of `sources` on `registry`:
 *
 * | metric | type | labels |
 * |---|---|---|
 * | `grpc_health_serving_status` | gauge, 1 for the service's status, 0 for the others | `service`, `status` |
 * | `grpc_health_watchers` | gauge, open Watch streams | `service` |
 * | `grpc_health_unknown_watchers` | gauge, Watch streams on unregistered names | |
 * | `grpc_health_status_changes_total` | counter | `service`, `status` (the new one; `SERVICE_UNKNOWN` when cleared) |
 * | `grpc_health_check_duration_seconds` | histogram | `check` |
 * | `grpc_health_check_failures_total` | counter | `check` |
 * | `grpc_health_check_state` | gauge, 1 for the check's state | `check`, `state` |
 * | `grpc_health_backend_healthy` | gauge, 1 when pickable | `target`, `address`, `service` |
 * | `grpc_health_backend_state` | gauge, 1 for the backend's state, 0 for the others (`IDLE`, `CHECKING`, `SERVING`, `NOT_SERVING`, `UNKNOWN`, `SERVICE_UNKNOWN`, `FAILED`, `UNIMPLEMENTED`) | `target`, `address`, `service`, `state` |
 * | `grpc_health_backend_state_changes_total` | counter, changes of the health observed (the first answer counts; reconnecting to the same answer does not) | `target`, `address`, `service` |
 * | `grpc_health_backend_watch_failures_total` | counter, Watch streams that failed and were retried | `target`, `address`, `service` |
 *
 * The `grpc_health_backend_*` names and labels are the ones the dashboard
 * (`grpc-health dashboard`) exports for the backends it watches, so the rules
 * and the Grafana dashboard shipped under `monitoring/` serve both. The whole
 * server (service `""`) is the empty label value, which Prometheus stores as
 * no `service` label: select it with `service=""`.
 */
export function registerHealthMetrics(
  registry: Registry,
  sources: HealthMetricsSources,
  options: PrometheusHealthMetricsOptions = {},
): RegisteredHealthMetrics {
  if (!registry || typeof registry.registerMetric !== 'function') throw new HealthArgumentError('registry must be a prom-client Registry');
  checkOptions('registerHealthMetrics options', options, ['prefix', 'checkDurationBuckets']);
  const prefix = options.prefix ?? METRIC_PREFIX;
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix))
    throw new HealthArgumentError(`prefix ${JSON.stringify(prefix)} is not a valid Prometheus metric name start`);
  const buckets = options.checkDurationBuckets ?? DEFAULT_BUCKETS;
  if (!Array.isArray(buckets) || buckets.length === 0 || buckets.some((b) => !Number.isFinite(b) || b <= 0)) {
    throw new HealthArgumentError('checkDurationBuckets must be positive finite numbers');
  }
  const registers = [registry];
  const names: string[] = [];
  const name = (suffix: string) => {
    names.push(prefix + suffix);
    return prefix + suffix;
  };

  const durations = sources.checks
    ? new Histogram({
        name: name('check_duration_seconds'),
        help: 'Duration of dependency check runs.',
        labelNames: ['check'],
        buckets,
        registers,
      })
    : undefined;
  const collector = new HealthMetricsCollector(sources, (check, seconds) => durations?.observe({ check }, seconds));

  if (sources.health) {
    new Gauge({
      name: name('serving_status'),
      help: 'Status of each registered service: 1 for the status it has, 0 for the others.',
      labelNames: ['service', 'status'],
      registers,
      collect() {
        this.reset();
        for (const [service, current] of collector.serviceStatuses()) {
          for (const status of SERVICE_STATUSES) this.set({ service, status }, current === status ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: name('watchers'),
      help: 'Open Watch streams of each registered service.',
      labelNames: ['service'],
      registers,
      collect() {
        this.reset();
        for (const [service, count] of collector.watchers()) this.set({ service }, count);
      },
    });
    new Gauge({
      name: name('unknown_watchers'),
      help: 'Open Watch streams on names that are not registered.',
      registers,
      collect() {
        this.set(collector.unknownWatchers());
      },
    });
    new Counter({
      name: name('status_changes_total'),
      help: 'Status changes of each service, by the status it changed to.',
      labelNames: ['service', 'status'],
      registers,
      collect() {
        this.reset();
        for (const { labels, value } of collector.statusChangeCounts()) this.inc(labels, value);
      },
    });
  }
  if (sources.checks) {
    new Counter({
      name: name('check_failures_total'),
      help: 'Failed dependency check runs.',
      labelNames: ['check'],
      registers,
      collect() {
        this.reset();
        for (const { labels, value } of collector.checkFailureCounts()) this.inc(labels, value);
      },
    });
    new Gauge({
      name: name('check_state'),
      help: 'State of each dependency check: 1 for the state it is in, 0 for the others.',
      labelNames: ['check', 'state'],
      registers,
      collect() {
        this.reset();
        for (const { check, state: current } of collector.checkStates()) {
          for (const state of CHECK_STATES) this.set({ check, state }, current === state ? 1 : 0);
        }
      },
    });
  }
  if (sources.balancer) {
    const backendLabels = [...BACKEND_LABELS];
    new Gauge({
      name: name('backend_healthy'),
      help: 'Whether the health_check balancer may pick each backend (1) or not (0).',
      labelNames: backendLabels,
      registers,
      collect() {
        this.reset();
        for (const { target, address, service, healthy } of collector.backends()) this.set({ target, address, service }, healthy ? 1 : 0);
      },
    });
    new Gauge({
      name: name(BACKEND_METRICS.state.prometheus),
      help: BACKEND_METRICS.state.help,
      labelNames: [...backendLabels, STATE_LABEL],
      registers,
      collect() {
        this.reset();
        for (const { target, address, service, state: current } of collector.backends()) {
          for (const state of BALANCER_STATES) this.set({ target, address, service, state }, current === state ? 1 : 0);
        }
      },
    });
    new Counter({
      name: name(BACKEND_METRICS.stateChanges.prometheus),
      help: BACKEND_METRICS.stateChanges.help,
      labelNames: backendLabels,
      registers,
      collect() {
        this.reset();
        for (const { labels, value } of collector.backendChangeCounts()) this.inc(labels, value);
      },
    });
    new Counter({
      name: name(BACKEND_METRICS.watchFailures.prometheus),
      help: BACKEND_METRICS.watchFailures.help,
      labelNames: backendLabels,
      registers,
      collect() {
        this.reset();
        for (const { labels, value } of collector.backendFailureCounts()) this.inc(labels, value);
      },
    });
  }

  return {
    dispose() {
      collector.dispose();
      for (const metric of names) registry.removeSingleMetric(metric);
    },
  };
}
