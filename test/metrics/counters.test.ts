/**
 * The counters count every event, not the first one or a streak: the same
 * sources exported by prom-client and OpenTelemetry at once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { Registry } from 'prom-client';
import { DependencyChecks, HealthServer } from '../../src/index.js';
import { registerHealthInstruments } from '../../src/metrics/opentelemetry.js';
import { registerHealthMetrics } from '../../src/metrics/prometheus.js';

/** Both exporters over the same sources; `counted` reads one series of each. */
function bothExporters(sources: Parameters<typeof registerHealthMetrics>[1]) {
  const registry = new Registry();
  const prometheus = registerHealthMetrics(registry, sources);
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  const openTelemetry = registerHealthInstruments(provider.getMeter('counters'), sources);
  return {
    async counted(
      series: string,
      instrument: string,
      attributes: Record<string, string>,
    ): Promise<{ prometheus: number | undefined; openTelemetry: number | undefined }> {
      const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(`${series} `));
      await reader.forceFlush();
      const metric = exporter
        .getMetrics()
        .at(-1)
        ?.scopeMetrics[0]?.metrics.find((m) => m.descriptor.name === instrument);
      const point = metric?.dataPoints.find((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v));
      return { prometheus: line === undefined ? undefined : Number(line.split(' ')[1]), openTelemetry: point?.value as number | undefined };
    },
    async dispose() {
      prometheus.dispose();
      openTelemetry.dispose();
      await provider.shutdown();
    },
  };
}

describe('status change counters', () => {
  it('count every change to a status, not only the first', async () => {
    const health = new HealthServer({ statuses: { 'a.A': 'SERVING' } });
    const exporters = bothExporters({ health });
    const changesTo = (status: string) =>
      exporters.counted(`grpc_health_status_changes_total{service="a.A",status="${status}"}`, 'grpc.health.service.status_changes', {
        'grpc.health.service': 'a.A',
        'grpc.health.status': status,
      });
    try {
      for (const status of ['NOT_SERVING', 'SERVING', 'NOT_SERVING', 'SERVING', 'NOT_SERVING'] as const) health.setStatus('a.A', status);
      assert.deepEqual(await changesTo('NOT_SERVING'), { prometheus: 3, openTelemetry: 3 });
      assert.deepEqual(await changesTo('SERVING'), { prometheus: 2, openTelemetry: 2 });
    } finally {
      await exporters.dispose();
    }
  });
});

describe('check failure counters', () => {
  it('three failed runs count 3 in both exporters; after a success, one more failure counts 4', async () => {
    const health = new HealthServer();
    let up = false;
    const checks = new DependencyChecks(health).add('db', () => up, { failureThreshold: 2 });
    const exporters = bothExporters({ checks });
    const counted = () =>
      exporters.counted('grpc_health_check_failures_total{check="db"}', 'grpc.health.check.failures', { 'grpc.health.check': 'db' });
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
      await exporters.dispose();
    }
  });
});
