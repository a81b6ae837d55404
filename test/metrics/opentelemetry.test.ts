import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Meter } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
  type Histogram,
} from '@opentelemetry/sdk-metrics';
import { HealthArgumentError, HealthServer } from '../../src/index.js';
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
      assert.equal(point('grpc.health.backend.healthy', { 'grpc.target': scenario.backendTarget, 'grpc.health.backend': serving }), 1);
      assert.equal(point('grpc.health.backend.healthy', { 'grpc.target': scenario.backendTarget, 'grpc.health.backend': notServing }), 0);
      assert.equal(
        point('grpc.health.backend.state_changes', { 'grpc.health.backend': notServing, 'grpc.health.backend.state': 'NOT_SERVING' }),
        1,
      );
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
