/**
 * The names of what a watcher observes of a backend, shared by every exporter
 * that has one: the dashboard's `/metrics` (it watches a fleet), and
 * `grpc-health-kit/prometheus` and `grpc-health-kit/opentelemetry` (the
 * `health_check` balancer watches its channels' backends). One set of names and
 * labels, so the alerting rules and the Grafana dashboard under `monitoring/`
 * serve both. What a server says about itself (`grpc_health_serving_status` …)
 * is a different thing and keeps its own names.
 *
 * Labels: `target` (what the backend was found through), `address` (the
 * backend), `service` (the health service name), and `state` on the state
 * gauge. The whole server, service `""`, is exported as the empty value, which
 * Prometheus stores as no `service` label: select it with `service=""`.
 */

/** A metric's name in Prometheus (without the `grpc_health_` prefix) and in OpenTelemetry, and its help text. */
export interface BackendMetricName {
  /** After the prefix (`grpc_health_` unless prom-client's `prefix` option says otherwise). */
  readonly prometheus: string;
  /** The OpenTelemetry instrument; exported to Prometheus it becomes `grpc_health_` + {@link prometheus}. */
  readonly openTelemetry: string;
  readonly help: string;
}

/** The prefix of every metric name, unless an exporter is told another. */
export const METRIC_PREFIX = 'grpc_health_';

/** The metrics a watcher of backends exports, by meaning. */
export const BACKEND_METRICS = Object.freeze({
  state: {
    prometheus: 'backend_state',
    openTelemetry: 'grpc.health.backend.state',
    help: 'State of each watched (backend, service): 1 for the state it is in, 0 for the others.',
  },
  stateChanges: {
    prometheus: 'backend_state_changes_total',
    openTelemetry: 'grpc.health.backend.state_changes',
    help: 'Changes of the health state observed of each (backend, service), the first answer included.',
  },
  watchFailures: {
    prometheus: 'backend_watch_failures_total',
    openTelemetry: 'grpc.health.backend.watch_failures',
    help: 'Health Watch streams to each (backend, service) that failed (each is retried with backoff).',
  },
} satisfies Record<string, BackendMetricName>);

/** The labels of every backend series, in this order. */
export const BACKEND_LABELS = Object.freeze(['target', 'address', 'service'] as const);

/** The label of the state gauge that names the state. */
export const STATE_LABEL = 'state';
