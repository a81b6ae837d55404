import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { HealthArgumentError, HealthServer } from '../../src/index.js';
import { registerHealthMetrics } from '../../src/metrics/prometheus.js';
import { metricsScenario } from './metrics-scenario.js';

/** The value of one series in Prometheus text, or undefined. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('Prometheus metrics (prom-client)', { timeout: 20_000 }, () => {
  it('exports server, check and balancer metrics after real changes', async () => {
    const scenario = await metricsScenario();
    try {
      const registry = new Registry();
      const metrics = registerHealthMetrics(registry, { health: scenario.health, checks: scenario.checks, balancer: true });
      await scenario.act();
      const text = await registry.metrics();

      assert.equal(value(text, 'grpc_health_serving_status{service="payments.Payments",status="UNKNOWN"}'), 1);
      assert.equal(value(text, 'grpc_health_serving_status{service="payments.Payments",status="SERVING"}'), 0);
      assert.equal(
        value(text, 'grpc_health_serving_status{service="orders.Orders",status="NOT_SERVING"}'),
        1,
        'db failed: orders is NOT_SERVING',
      );
      assert.equal(value(text, 'grpc_health_watchers{service="orders.Orders"}'), 2);
      assert.equal(value(text, 'grpc_health_unknown_watchers'), 1);
      assert.doesNotMatch(text, /nobody\.Nobody/, 'no label for a name nobody registered');
      // The checks hold orders.Orders and "" NOT_SERVING until they pass; then the db check fails.
      assert.equal(value(text, 'grpc_health_status_changes_total{service="orders.Orders",status="SERVING"}'), 1);
      assert.equal(value(text, 'grpc_health_status_changes_total{service="orders.Orders",status="NOT_SERVING"}'), 1);
      assert.equal(value(text, 'grpc_health_status_changes_total{service="",status="SERVING"}'), 1);
      assert.equal(value(text, 'grpc_health_status_changes_total{service="",status="NOT_SERVING"}'), 1);
      assert.equal(value(text, 'grpc_health_status_changes_total{service="payments.Payments",status="UNKNOWN"}'), 1);

      assert.equal(value(text, 'grpc_health_check_duration_seconds_count{check="db"}'), 2);
      assert.equal(value(text, 'grpc_health_check_duration_seconds_count{check="cache"}'), 1);
      assert.equal(value(text, 'grpc_health_check_failures_total{check="db"}'), 1);
      assert.equal(value(text, 'grpc_health_check_failures_total{check="cache"}'), undefined);
      assert.equal(value(text, 'grpc_health_check_state{check="db",state="unhealthy"}'), 1);
      assert.equal(value(text, 'grpc_health_check_state{check="cache",state="healthy"}'), 1);

      const [serving, notServing] = scenario.addresses;
      const backend = (address: string) => `target="${scenario.backendTarget}",address="${address}",service=""`;
      assert.equal(value(text, `grpc_health_backend_healthy{${backend(serving)}}`), 1);
      assert.equal(value(text, `grpc_health_backend_healthy{${backend(notServing)}}`), 0);
      assert.equal(value(text, `grpc_health_backend_state_changes_total{${backend(notServing)},state="NOT_SERVING"}`), 1);
      assert.equal(value(text, `grpc_health_backend_state_changes_total{${backend(serving)},state="SERVING"}`), 1);

      metrics.dispose();
      assert.equal((await registry.metrics()).trim(), '', 'dispose() removes every metric');
    } finally {
      scenario.close();
    }
  });

  it('validates its arguments', () => {
    const health = new HealthServer();
    assert.throws(() => registerHealthMetrics({} as Registry, { health }), HealthArgumentError);
    assert.throws(() => registerHealthMetrics(new Registry(), {}), HealthArgumentError);
    assert.throws(() => registerHealthMetrics(new Registry(), { health }, { prefix: 'bad-prefix' }), HealthArgumentError);
    assert.throws(() => registerHealthMetrics(new Registry(), { health }, { checkDurationBuckets: [NaN] }), HealthArgumentError);
    assert.throws(() => registerHealthMetrics(new Registry(), { health: {} as HealthServer }), HealthArgumentError);
  });
});
