/**
 * The check-failure counters count every failed run, not failure streaks: the
 * same checks exported by prom-client and OpenTelemetry at once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { Registry } from 'prom-client';
import { DependencyChecks, HealthServer } from '../../src/index.js';
import { registerHealthInstruments } from '../../src/metrics/opentelemetry.js';
import { registerHealthMetrics } from '../../src/metrics/prometheus.js';

describe('check failure counters', () => {
  it('three failed runs count 3 in both exporters; after a success, one more failure counts 4', async () => {
    const health = new HealthServer();
    let up = false;
    const checks = new DependencyChecks(health).add('db', () => up, { failureThreshold: 2 });
    const registry = new Registry();
    const prometheus = registerHealthMetrics(registry, { checks });
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({ readers: [reader] });
    const openTelemetry = registerHealthInstruments(provider.getMeter('check-failure-counts'), { checks });

    const counted = async (): Promise<{ prometheus: number | undefined; openTelemetry: number | undefined }> => {
      const line = (await registry.metrics()).split('\n').find((l) => l.startsWith('grpc_health_check_failures_total{check="db"} '));
      await reader.forceFlush();
      const metric = exporter
        .getMetrics()
        .at(-1)
        ?.scopeMetrics[0]?.metrics.find((m) => m.descriptor.name === 'grpc.health.check.failures');
      const point = metric?.dataPoints.find((p) => p.attributes['grpc.health.check'] === 'db');
      return { prometheus: line === undefined ? undefined : Number(line.split(' ')[1]), openTelemetry: point?.value as number | undefined };
    };
    try {
      for (let run = 0; run < 3; run++) await checks.runNow();
      assert.deepEqual(await counted(), { prometheus: 3, openTelemetry: 3 });
      up = true;
      await checks.runNow();
      assert.deepEqual(await counted(), { prometheus: 3, openTelemetry: 3 }, 'a success counts no failure');
      up = false;
      await checks.runNow();
      assert.deepEqual(await counted(), { prometheus: 4, openTelemetry: 4 });
    } finally {
      prometheus.dispose();
      openTelemetry.dispose();
      await provider.shutdown();
    }
  });
});
