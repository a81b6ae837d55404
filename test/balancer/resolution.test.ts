/** Targets and resolution: several addresses, churn, configs from a resolver, dns:///. */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { type BackendHealth, backendHealth, healthCheckChannelOptions, HealthService, onBackendHealthChange } from '../../src/index.js';
import { HealthMetricsCollector } from '../../src/metrics/health-metrics-collector.js';
import { Backend, startBackends, who, WhoClient } from '../backends.js';
import { until } from '../helpers.js';
import { healthCheckedClient, healthOf, healthSettles, spread } from './balancer-helpers.js';
import { setResolution } from './test-resolver.js';

let backends: Backend[] = [];
let clients: grpc.Client[] = [];
afterEach(() => {
  for (const client of clients) client.close();
  for (const backend of backends) backend.stop();
  clients = [];
  backends = [];
});

describe('health_check balancer: resolution', () => {
  it('follows backend churn: added backends are checked, removed ones lose their Watch', async () => {
    backends = await startBackends(4);
    const [b0, b1, b2, b3] = backends as [Backend, Backend, Backend, Backend];
    b1.health.setStatus('', 'NOT_SERVING');
    setResolution('churn', [b0.port, b1.port]);
    const c = healthCheckedClient('healthtest:///churn');
    clients.push(c);
    assert.deepEqual(await spread(c, 10), { b0: 10 });

    setResolution('churn', [b1.port, b2.port, b3.port]);
    await healthSettles(
      (all) => healthOf(b2, all)?.state === 'SERVING' && healthOf(b3, all)?.state === 'SERVING',
      3000,
      'b2 and b3 checked',
    );
    const counts = await spread(c, 20);
    assert.deepEqual(Object.keys(counts).sort(), ['b2', 'b3']);
    await until(() => b0.health.watcherCount() === 0, 3000, 'b0, removed, to lose its Watch');
    assert.equal(b1.health.watcherCount(), 1);

    b1.health.setStatus('', 'SERVING');
    await healthSettles((all) => healthOf(b1, all)?.state === 'SERVING', 3000, 'b1 SERVING');
    assert.deepEqual(Object.keys(await spread(c, 30)).sort(), ['b1', 'b2', 'b3']);
  });

  it('opens no new Watch and fails no RPC while the resolver re-sends the same backends', async () => {
    backends = await startBackends(3);
    const ports = backends.map((b) => b.port);
    setResolution('resend', ports);
    const c = healthCheckedClient('healthtest:///resend');
    clients.push(c);
    await spread(c, 6);
    const failures: string[] = [];
    for (let i = 0; i < 20; i++) {
      setResolution('resend', ports);
      // No waitForReady: a moment without a healthy backend would fail the call.
      await who(c).catch((error: Error) => failures.push(error.message));
    }
    assert.deepEqual(failures, []);
    assert.deepEqual(
      backends.map((b) => b.calls.get('/grpc.health.v1.Health/Watch')),
      [1, 1, 1],
    );
  });

  it('takes health_check from a service config a resolver delivers, and follows a new serviceName', async () => {
    backends = await startBackends(2);
    const [b0, b1] = backends as [Backend, Backend];
    b0.health.setStatus('a.A', 'SERVING');
    b1.health.setStatus('a.A', 'NOT_SERVING');
    b0.health.setStatus('b.B', 'NOT_SERVING');
    b1.health.setStatus('b.B', 'SERVING');
    const config = (serviceName: string) => ({
      loadBalancingConfig: [{ health_check: { serviceName, childPolicy: [{ round_robin: {} }] } }],
    });
    setResolution('fromresolver', [b0.port, b1.port], config('a.A'));
    const c = new WhoClient('healthtest:///fromresolver', grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
    clients.push(c);
    assert.deepEqual(await spread(c, 10), { b0: 10 });

    setResolution('fromresolver', [b0.port, b1.port], config('b.B'));
    await healthSettles((all) => all.some((h) => h.service === 'b.B' && h.state === 'SERVING'), 3000, 'b.B checked');
    await healthSettles(
      (all) => healthOf(b0, all)?.state === 'NOT_SERVING' && healthOf(b1, all)?.state === 'SERVING',
      3000,
      'the b.B statuses',
    );
    assert.deepEqual(await spread(c, 10), { b1: 10 });
  });

  it('works with a dns:/// target', async () => {
    backends = await startBackends(1);
    const c = healthCheckedClient(`dns:///${backends[0]!.address}`);
    clients.push(c);
    assert.equal(await who(c), 'b0');
    backends[0]!.health.setStatus('', 'NOT_SERVING');
    await healthSettles((all) => healthOf(backends[0]!, all)?.state === 'NOT_SERVING', 2000, 'NOT_SERVING');
    const error = await who(c).catch((e: grpc.ServiceError) => e);
    assert.equal(typeof error === 'object' && error.code, grpc.status.UNAVAILABLE);
  });

  it('counts no health change and no watch failure for resolver updates that change nothing', async () => {
    // b1's health service fails every Watch: FAILED, retried a minute later.
    const failingHealth = (server: grpc.Server) =>
      server.addService(HealthService, {
        check: (_call: unknown, callback: grpc.sendUnaryData<never>) => callback({ code: grpc.status.INTERNAL }),
        list: (_call: unknown, callback: grpc.sendUnaryData<never>) => callback({ code: grpc.status.INTERNAL }),
        watch: (call: grpc.ServerWritableStream<unknown, unknown>) => call.emit('error', { code: grpc.status.INTERNAL, details: 'broken' }),
      });
    backends = [await new Backend('b0').start(), await new Backend('b1', failingHealth).start()];
    const [b0, b1] = backends as [Backend, Backend];
    const ports = backends.map((b) => b.port);
    const collector = new HealthMetricsCollector({ balancer: true });
    const heard: BackendHealth[] = [];
    const off = onBackendHealthChange((h) => heard.push(h));
    try {
      setResolution('unchanged', ports);
      const c = healthCheckedClient('healthtest:///unchanged', {
        loadBalancingConfig: [{ health_check: { serviceName: '', childPolicy: [{ round_robin: {} }], backoff: { initialMs: 60_000 } } }],
      });
      clients.push(c);
      assert.equal(await who(c), 'b0'); // connects
      await healthSettles(
        (all) => healthOf(b0, all)?.state === 'SERVING' && healthOf(b1, all)?.state === 'FAILED',
        5000,
        'b0 SERVING and b1 FAILED',
      );
      const sum = (series: { value: number }[]) => series.reduce((total, s) => total + s.value, 0);
      const before = {
        events: heard.length,
        changes: sum(collector.backendChangeCounts()),
        failures: sum(collector.backendFailureCounts()),
      };
      assert.equal(before.failures, 1);
      for (let i = 0; i < 50; i++) {
        setResolution('unchanged', ports);
        assert.equal(await who(c), 'b0');
      }
      assert.deepEqual(
        { events: heard.length, changes: sum(collector.backendChangeCounts()), failures: sum(collector.backendFailureCounts()) },
        before,
        heard
          .slice(before.events)
          .map((h) => `${h.address} ${h.state}`)
          .join(', '),
      );
    } finally {
      off();
      collector.dispose();
    }
  });

  it('two channels sharing connections: one change is one event, one backendHealth() entry per backend', async () => {
    backends = await startBackends(2);
    const [b0] = backends as [Backend, Backend];
    setResolution(
      'twochannels',
      backends.map((b) => b.port),
    );
    // grpc-js's global subchannel pool: both channels use the same two connections.
    const [c1, c2] = [0, 1].map(
      () => new WhoClient('healthtest:///twochannels', grpc.credentials.createInsecure(), healthCheckChannelOptions('')),
    );
    clients.push(c1!, c2!);
    const heard: BackendHealth[] = [];
    const off = onBackendHealthChange((h) => heard.push(h));
    try {
      await spread(c1!, 4);
      await spread(c2!, 4);
      assert.equal(b0.health.watcherCount(), 1, 'one Watch for both channels');
      b0.health.setStatus('', 'NOT_SERVING');
      await healthSettles((all) => healthOf(b0, all)?.state === 'NOT_SERVING', 3000, 'b0 NOT_SERVING');
      b0.health.setStatus('', 'SERVING'); // a later change, so that any duplicate has arrived by the time it has
      await healthSettles((all) => healthOf(b0, all)?.state === 'SERVING', 3000, 'b0 SERVING again');
      assert.deepEqual(
        heard.filter((h) => h.address === b0.address && h.state !== 'CHECKING' && h.state !== 'IDLE').map((h) => h.state),
        ['SERVING', 'NOT_SERVING', 'SERVING'],
      );
      assert.deepEqual(
        backendHealth()
          .filter((h) => backends.some((b) => b.address === h.address))
          .map((h) => h.address)
          .sort(),
        backends.map((b) => b.address).sort(),
      );
    } finally {
      off();
    }
  });
});
