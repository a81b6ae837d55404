import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import type * as grpc from '@grpc/grpc-js';
import { backendHealth, HealthArgumentError, HealthServer, HealthService, type HealthServiceHandlers } from '../../src/index.js';
import { registerHealthMetrics } from '../../src/metrics/prometheus.js';
import { Backend, ipv4Target, who } from '../backends.js';
import { healthCheckedClient } from '../balancer/balancer-helpers.js';
import { until } from '../helpers.js';
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
      assert.equal(value(text, `grpc_health_backend_state{${backend(serving)},state="SERVING"}`), 1);
      assert.equal(value(text, `grpc_health_backend_state{${backend(notServing)},state="NOT_SERVING"}`), 1);
      assert.equal(value(text, `grpc_health_backend_state{${backend(notServing)},state="SERVING"}`), 0);
      for (const address of scenario.addresses) {
        const states = text.split('\n').filter((line) => line.startsWith(`grpc_health_backend_state{${backend(address)},`));
        assert.equal(states.length, 8, 'one series per balancer state');
        assert.equal(states.filter((line) => line.endsWith(' 1')).length, 1, 'exactly one state at 1');
      }
      // The first answer is the one change; the counters carry no state label, so a series exists from the start.
      assert.equal(value(text, `grpc_health_backend_state_changes_total{${backend(notServing)}}`), 1);
      assert.equal(value(text, `grpc_health_backend_state_changes_total{${backend(serving)}}`), 1);
      assert.equal(value(text, `grpc_health_backend_watch_failures_total{${backend(serving)}}`), 0);

      metrics.dispose();
      assert.equal((await registry.metrics()).trim(), '', 'dispose() removes every metric');
    } finally {
      scenario.close();
    }
  });

  it('counts every change of health a Watch delivers, from 0 before the first answer', async () => {
    // A health service whose one Watch stream the test writes to.
    let stream: grpc.ServerWritableStream<unknown, { status: number }> | undefined;
    const handlers: HealthServiceHandlers = {
      check: (_call, callback) => callback(null, { status: 1 }),
      list: (_call, callback) => callback(null, { statuses: {} }),
      watch: (call) => {
        stream = call;
      },
    };
    const backend = await new Backend('scripted', (server) => server.addService(HealthService, handlers)).start();
    const target = ipv4Target([backend]);
    const client = healthCheckedClient(target);
    const registry = new Registry();
    const metrics = registerHealthMetrics(registry, { balancer: true });
    try {
      const answered = who(client, 10_000); // queued until the first health answer
      await until(() => stream !== undefined && backendHealth(target)[0]?.state === 'CHECKING', 5000, 'the Watch to start');
      const labels = `target="${target}",address="${backend.address}",service=""`;
      let text = await registry.metrics();
      assert.equal(value(text, `grpc_health_backend_state{${labels},state="CHECKING"}`), 1);
      assert.equal(value(text, `grpc_health_backend_state_changes_total{${labels}}`), 0, 'the counter exists before the first answer');

      // SERVING, then five flips in a row: NOT_SERVING, SERVING, NOT_SERVING, SERVING, NOT_SERVING.
      for (const status of [1, 2, 1, 2, 1, 2]) stream!.write({ status });
      await answered;
      await until(() => backendHealth(target)[0]?.state === 'NOT_SERVING', 5000, 'the last flip');
      text = await registry.metrics();
      assert.equal(value(text, `grpc_health_backend_state_changes_total{${labels}}`), 6, 'the first answer and five flips');
      assert.equal(value(text, `grpc_health_backend_state{${labels},state="NOT_SERVING"}`), 1);

      client.close();
      await until(() => backendHealth(target).length === 0, 5000, 'the channel to forget the backend');
      text = await registry.metrics();
      assert.doesNotMatch(text, new RegExp(`address="${backend.address}"`), 'a backend that left has no series');
    } finally {
      metrics.dispose();
      client.close();
      backend.stop();
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
