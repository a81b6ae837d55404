/**
 * `grpc-health-kit/opentelemetry`: health metrics on an OpenTelemetry `Meter`.
 *
 * ```ts
 * import { metrics } from '@opentelemetry/api';
 * import { registerHealthInstruments } from 'grpc-health-kit/opentelemetry';
 * const instruments = registerHealthInstruments(metrics.getMeter('grpc-health-kit'), { health, checks, balancer: true });
 * ```
 *
 * Only the API's types are used: the SDK, its readers and exporters stay the
 * application's. `@opentelemetry/api` is an optional peer dependency.
 */
import type { Attributes, Meter, ObservableResult } from '@opentelemetry/api';
import { HealthArgumentError } from '../errors.js';
import { BACKEND_METRICS, STATE_LABEL } from './backend-metrics.js';
import { BALANCER_STATES, type BackendLabels, HealthMetricsCollector, type HealthMetricsSources } from './health-metrics-collector.js';

export type { HealthMetricsSources } from './health-metrics-collector.js';

/** What {@link registerHealthInstruments} returns. */
export interface RegisteredHealthInstruments {
  /** Stops listening to the sources and detaches the observable callbacks. */
  dispose(): void;
}

const SERVICE_STATUSES = ['SERVING', 'NOT_SERVING', 'UNKNOWN'] as const;
const CHECK_STATES = ['pending', 'healthy', 'unhealthy'] as const;

/**
 * Creates the health instruments on `meter` (names in OpenTelemetry's dotted
 * style, units in UCUM; attributes in parentheses):
 *
 * - `grpc.health.service.status` gauge, 1 for the service's status, 0 for the others (`grpc.health.service`, `grpc.health.status`)
 * - `grpc.health.service.watchers` gauge, `{stream}` (`grpc.health.service`); `grpc.health.unknown_watchers` gauge, `{stream}`
 * - `grpc.health.service.status_changes` counter, `{change}` (`grpc.health.service`, `grpc.health.status`)
 * - `grpc.health.check.duration` histogram, `s` (`grpc.health.check`)
 * - `grpc.health.check.failures` counter, `{run}` (`grpc.health.check`)
 * - `grpc.health.check.state` gauge, 1 for the check's state (`grpc.health.check`, `grpc.health.check.state`)
 * - `grpc.health.backend.healthy` gauge, 1 when the balancer may pick the backend (`target`, `address`, `service`)
 * - `grpc.health.backend.state` gauge, 1 for the backend's state, 0 for the others (the same and `state`)
 * - `grpc.health.backend.state_changes` counter, `{change}`: changes of the health observed, the first answer included (`target`, `address`, `service`)
 * - `grpc.health.backend.watch_failures` counter, `{stream}` (`target`, `address`, `service`)
 *
 * The backend instruments carry the attribute names of the Prometheus labels:
 * through an OpenTelemetry Prometheus exporter they become the
 * `grpc_health_backend_*` series the dashboard exports, which the rules and the
 * Grafana dashboard under `monitoring/` read.
 */
export function registerHealthInstruments(meter: Meter, sources: HealthMetricsSources): RegisteredHealthInstruments {
  if (!meter || typeof meter.createHistogram !== 'function') throw new HealthArgumentError('meter must be an OpenTelemetry Meter');
  const durations = sources.checks
    ? meter.createHistogram('grpc.health.check.duration', { description: 'Duration of dependency check runs.', unit: 's' })
    : undefined;
  const collector = new HealthMetricsCollector(sources, (check, seconds) => durations?.record(seconds, { 'grpc.health.check': check }));
  const detach: (() => void)[] = [];
  const observe = (
    instrument: {
      addCallback(cb: (result: ObservableResult<Attributes>) => void): void;
      removeCallback(cb: (result: ObservableResult<Attributes>) => void): void;
    },
    callback: (result: ObservableResult<Attributes>) => void,
  ) => {
    instrument.addCallback(callback);
    detach.push(() => instrument.removeCallback(callback));
  };

  if (sources.health) {
    observe(
      meter.createObservableGauge('grpc.health.service.status', {
        description: 'Status of each registered service: 1 for the status it has, 0 for the others.',
      }),
      (result) => {
        for (const [service, current] of collector.serviceStatuses()) {
          for (const status of SERVICE_STATUSES)
            result.observe(current === status ? 1 : 0, { 'grpc.health.service': service, 'grpc.health.status': status });
        }
      },
    );
    observe(
      meter.createObservableGauge('grpc.health.service.watchers', {
        description: 'Open Watch streams of each registered service.',
        unit: '{stream}',
      }),
      (result) => {
        for (const [service, count] of collector.watchers()) result.observe(count, { 'grpc.health.service': service });
      },
    );
    observe(
      meter.createObservableGauge('grpc.health.unknown_watchers', {
        description: 'Open Watch streams on names that are not registered.',
        unit: '{stream}',
      }),
      (result) => {
        result.observe(collector.unknownWatchers());
      },
    );
    observe(
      meter.createObservableCounter('grpc.health.service.status_changes', {
        description: 'Status changes of each service, by the status it changed to.',
        unit: '{change}',
      }),
      (result) => {
        for (const { labels, value } of collector.statusChangeCounts())
          result.observe(value, { 'grpc.health.service': labels.service, 'grpc.health.status': labels.status });
      },
    );
  }
  if (sources.checks) {
    observe(
      meter.createObservableCounter('grpc.health.check.failures', { description: 'Failed dependency check runs.', unit: '{run}' }),
      (result) => {
        for (const { labels, value } of collector.checkFailureCounts()) result.observe(value, { 'grpc.health.check': labels.check });
      },
    );
    observe(
      meter.createObservableGauge('grpc.health.check.state', {
        description: 'State of each dependency check: 1 for the state it is in, 0 for the others.',
      }),
      (result) => {
        for (const { check, state: current } of collector.checkStates()) {
          for (const state of CHECK_STATES)
            result.observe(current === state ? 1 : 0, { 'grpc.health.check': check, 'grpc.health.check.state': state });
        }
      },
    );
  }
  if (sources.balancer) {
    // The Prometheus label names, so that exported to Prometheus these are the dashboard's series.
    const backendAttributes = ({ target, address, service }: BackendLabels): Attributes => ({ target, address, service });
    observe(
      meter.createObservableGauge('grpc.health.backend.healthy', {
        description: 'Whether the health_check balancer may pick each backend (1) or not (0).',
      }),
      (result) => {
        for (const backend of collector.backends()) result.observe(backend.healthy ? 1 : 0, backendAttributes(backend));
      },
    );
    observe(meter.createObservableGauge(BACKEND_METRICS.state.openTelemetry, { description: BACKEND_METRICS.state.help }), (result) => {
      for (const backend of collector.backends()) {
        for (const state of BALANCER_STATES)
          result.observe(backend.state === state ? 1 : 0, { ...backendAttributes(backend), [STATE_LABEL]: state });
      }
    });
    observe(
      meter.createObservableCounter(BACKEND_METRICS.stateChanges.openTelemetry, {
        description: BACKEND_METRICS.stateChanges.help,
        unit: '{change}',
      }),
      (result) => {
        for (const { labels, value } of collector.backendChangeCounts()) result.observe(value, backendAttributes(labels));
      },
    );
    observe(
      meter.createObservableCounter(BACKEND_METRICS.watchFailures.openTelemetry, {
        description: BACKEND_METRICS.watchFailures.help,
        unit: '{stream}',
      }),
      (result) => {
        for (const { labels, value } of collector.backendFailureCounts()) result.observe(value, backendAttributes(labels));
      },
    );
  }

  return {
    dispose() {
      collector.dispose();
      for (const step of detach.splice(0)) step();
    },
  };
}
