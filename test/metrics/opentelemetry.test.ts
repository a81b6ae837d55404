import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Meter } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
  type Histogram,
} from '@opentelemetry/sdk-metrics';
import { HealthArgumentError, HealthServer } from '../../src/index.js';
import { BACKEND_LABELS, BACKEND_METRICS, METRIC_PREFIX, STATE_LABEL } from '../../src/metrics/backend-metrics.js';
import { registerHealthInstruments } from '../../src/metrics/opentelemetry.js';
import { metricsScenario } from './metrics-scenario.js';

describe('OpenTelemetry metrics', { timeout: 20_000 }, () => {
  it('records server, check and balancer instruments after real changes', async () => {
    const scenario = await metricsScenario();
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({ readers: [reader] });
    try {
      const instruments = registerHealthInstruments(provider.getMeter('grpc-health-kit-test'), {
        health: scenario.health,
        checks: scenario.checks,
        balancer: true,
      });
      await scenario.act();
      await reader.forceFlush();
      const exported = exporter.getMetrics().at(-1)!.scopeMetrics[0]!.metrics;
      const points = (name: string) => {
        const metric = exported.find((m) => m.descriptor.name === name);
        assert.ok(metric, `${name} exported`);
        return metric.dataPoints as DataPoint<number | Histogram>[];
      };
      const point = (name: string, attributes: Record<string, string>) =>
        points(name).find((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v))?.value;

      assert.equal(point('grpc.health.service.status', { 'grpc.health.service': 'orders.Orders', 'grpc.health.status': 'NOT_SERVING' }), 1);
      assert.equal(point('grpc.health.service.status', { 'grpc.health.service': 'payments.Payments', 'grpc.health.status': 'UNKNOWN' }), 1);
      assert.equal(point('grpc.health.service.watchers', { 'grpc.health.service': 'orders.Orders' }), 2);
      assert.equal(point('grpc.health.unknown_watchers', {}), 1);
      assert.equal(
        point('grpc.health.service.status_changes', { 'grpc.health.service': 'orders.Orders', 'grpc.health.status': 'NOT_SERVING' }),
        1,
      );
      const db = point('grpc.health.check.duration', { 'grpc.health.check': 'db' }) as Histogram;
      assert.equal(db.count, 2);
      assert.equal(exported.find((m) => m.descriptor.name === 'grpc.health.check.duration')!.descriptor.unit, 's');
      assert.equal(point('grpc.health.check.failures', { 'grpc.health.check': 'db' }), 1);
      assert.equal(point('grpc.health.check.state', { 'grpc.health.check': 'db', 'grpc.health.check.state': 'unhealthy' }), 1);
      const [serving, notServing] = scenario.addresses;
      const backend = (address: string) => ({ target: scenario.backendTarget, address, service: '' });
      assert.equal(point('grpc.health.backend.healthy', backend(serving)), 1);
      assert.equal(point('grpc.health.backend.healthy', backend(notServing)), 0);
      assert.equal(point('grpc.health.backend.state', { ...backend(serving), state: 'SERVING' }), 1);
      assert.equal(point('grpc.health.backend.state', { ...backend(notServing), state: 'NOT_SERVING' }), 1);
      assert.equal(point('grpc.health.backend.state', { ...backend(notServing), state: 'SERVING' }), 0);
      assert.equal(point('grpc.health.backend.state_changes', backend(notServing)), 1);
      assert.equal(point('grpc.health.backend.watch_failures', backend(notServing)), 0);

      // Through an OpenTelemetry Prometheus exporter (dots to underscores, `_total` on counters, `{…}` units dropped;
      // checked with @opentelemetry/exporter-prometheus) these are the dashboard's series, labels included.
      for (const { openTelemetry, prometheus } of Object.values(BACKEND_METRICS)) {
        const metric = exported.find((m) => m.descriptor.name === openTelemetry)!;
        const counter = metric.dataPointType === DataPointType.SUM;
        assert.equal(openTelemetry.replaceAll('.', '_') + (counter ? '_total' : ''), METRIC_PREFIX + prometheus);
        const keys = new Set(metric.dataPoints.flatMap((p) => Object.keys(p.attributes)));
        assert.deepEqual(
          [...keys].sort(),
          [...BACKEND_LABELS, ...(openTelemetry === BACKEND_METRICS.state.openTelemetry ? [STATE_LABEL] : [])].sort(),
        );
      }
      instruments.dispose();
    } finally {
      await provider.shutdown();
      scenario.close();
    }
  });

  it('validates its arguments', () => {
    assert.throws(() => registerHealthInstruments({} as Meter, { health: new HealthServer() }), HealthArgumentError);
    assert.throws(() => registerHealthInstruments(new MeterProvider().getMeter('x'), {}), HealthArgumentError);
  });
});
