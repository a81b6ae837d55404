import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { backendHealth, HealthService, type HealthServiceHandlers } from '../../src/index.js';
import { Backend, ipv4Target, startBackends, who, type WhoClient } from '../backends.js';
import { until } from '../helpers.js';
import { healthCheckedClient, healthOf, healthSettles, spread } from './balancer-helpers.js';

let backends: Backend[] = [];
let clients: WhoClient[] = [];
afterEach(() => {
  for (const client of clients) client.close();
  for (const backend of backends) backend.stop();
  clients = [];
  backends = [];
});

function client(target: string, config: object | string = '', extra: grpc.ChannelOptions = {}): WhoClient {
  const made = healthCheckedClient(target, config, extra);
  clients.push(made);
  return made;
}

function rpcError(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  return promise.then(
    () => assert.fail('expected the RPC to fail'),
    (e: grpc.ServiceError) => e,
  );
}

describe('health_check balancer: who gets traffic', () => {
  it('sends nothing to NOT_SERVING or unknown-service backends, and traffic returns when they recover', async () => {
    backends = await startBackends(3);
    const [b0, b1, b2] = backends as [Backend, Backend, Backend];
    b0.health.setStatus('echo.Echo', 'SERVING');
    b1.health.setStatus('echo.Echo', 'NOT_SERVING');
    // b2 never registers echo.Echo: its Watch answers SERVICE_UNKNOWN.
    const c = client(ipv4Target(backends), 'echo.Echo');
    assert.deepEqual(await spread(c, 30), { b0: 30 });
    assert.equal(healthOf(b1)?.state, 'NOT_SERVING');
    assert.equal(healthOf(b2)?.state, 'SERVICE_UNKNOWN');

    b1.health.setStatus('echo.Echo', 'SERVING');
    b2.health.setStatus('echo.Echo', 'SERVING');
    await healthSettles((all) => all.filter((h) => h.state === 'SERVING').length === 3, 2000, 'all three SERVING');
    const counts = await spread(c, 30);
    assert.deepEqual(Object.keys(counts).sort(), ['b0', 'b1', 'b2']);
    assert.equal(counts.b0! + counts.b1! + counts.b2!, 30);

    b0.health.setStatus('echo.Echo', 'UNKNOWN');
    await healthSettles((all) => healthOf(b0, all)?.state === 'UNKNOWN', 2000, 'b0 UNKNOWN');
    assert.deepEqual(Object.keys(await spread(c, 20)).sort(), ['b1', 'b2']);
  });

  it('keeps sending to a backend without a health service, and logs that once', async () => {
    backends = await startBackends(2, false);
    const logged: string[] = [];
    grpc.setLogger({ error: (...args: unknown[]) => logged.push(args.join(' ')), info: () => {}, debug: () => {} } as unknown as Console);
    try {
      const c = client(ipv4Target(backends), 'echo.Echo');
      const counts = await spread(c, 20);
      assert.deepEqual(Object.keys(counts).sort(), ['b0', 'b1']);
      assert.ok(backends.every((b) => healthOf(b)?.state === 'UNIMPLEMENTED'));
      const notes = logged.filter((line) => line.includes('health check is unimplemented at server side'));
      assert.equal(notes.length, 2, logged.join('\n')); // once per backend
    } finally {
      grpc.setLogger(console);
    }
  });

  it('fails fast with UNAVAILABLE naming each backend and its status when none is healthy', async () => {
    backends = await startBackends(2);
    backends[0]!.health.setStatus('echo.Echo', 'NOT_SERVING');
    const c = client(ipv4Target(backends), 'echo.Echo');
    const started = Date.now();
    const error = await rpcError(who(c, 5000));
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
    assert.equal(error.code, grpc.status.UNAVAILABLE);
    assert.match(error.details, /no healthy backend for service "echo\.Echo"/);
    assert.match(error.details, new RegExp(`${backends[0]!.address} NOT_SERVING`));
    assert.match(error.details, new RegExp(`${backends[1]!.address} SERVICE_UNKNOWN`));
  });

  it('queues the first RPCs until the first health answer instead of failing them', async () => {
    // A health service that answers its Watch only after a delay.
    const slow: HealthServiceHandlers = {
      check: (_call, callback) => callback(null, { status: 1 }),
      list: (_call, callback) => callback(null, { statuses: {} }),
      watch: (call) => {
        const timer = setTimeout(() => call.write({ status: 1 }), 300);
        call.on('cancelled', () => clearTimeout(timer));
      },
    };
    backends = [await new Backend('slow', (server) => server.addService(HealthService, slow)).start()];
    const c = client(ipv4Target(backends), 'x');
    const started = Date.now();
    assert.equal(await who(c, 5000), 'slow');
    assert.ok(Date.now() - started >= 250, `answered after ${Date.now() - started} ms, before the health answer`);
  });
});

describe('health_check balancer: connections', () => {
  it('runs the Watch on the same connection as the RPCs', async () => {
    backends = await startBackends(2);
    const c = client(ipv4Target(backends));
    await spread(c, 10);
    for (const backend of backends) {
      const watchPeers = backend.peers.get('/grpc.health.v1.Health/Watch');
      const rpcPeers = backend.peers.get('/test.Backend/Who');
      assert.equal(watchPeers?.size, 1, `${backend.name}: ${[...(watchPeers ?? [])]}`);
      assert.deepEqual([...rpcPeers!], [...watchPeers!], `${backend.name}: RPCs and Watch from different connections`);
    }
  });

  it('leaves no health stream open on any server when the channel closes', async () => {
    backends = await startBackends(3);
    const c = client(ipv4Target(backends));
    await spread(c, 6);
    assert.deepEqual(
      backends.map((b) => b.health.watcherCount()),
      [1, 1, 1],
    );
    c.close();
    await until(() => backends.every((b) => b.health.watcherCount() === 0), 3000, 'every Watch to end');
    assert.equal(backendHealth().length, 0, 'the policy forgot its backends');
  });

  it('removes a backend killed mid-stream and takes it back after a restart on the same port', async () => {
    backends = await startBackends(2);
    const [b0] = backends as [Backend];
    const c = client(ipv4Target(backends), '', { 'grpc.initial_reconnect_backoff_ms': 50, 'grpc.max_reconnect_backoff_ms': 200 });
    assert.deepEqual(Object.keys(await spread(c, 10)).sort(), ['b0', 'b1']);
    b0.stop();
    // Nothing fails: RPCs go to b1 while b0 is gone.
    assert.deepEqual(await spread(c, 10), { b1: 10 });
    await b0.start();
    await healthSettles((all) => healthOf(b0, all)?.state === 'SERVING', 5000, 'b0 back and SERVING');
    assert.deepEqual(Object.keys(await spread(c, 20)).sort(), ['b0', 'b1']);
  });
});

describe('health_check balancer: child policies', () => {
  it('with no policy named (grpc-go style, so pick_first), checks no health (gRFC A17), still sends traffic, and warns once', async () => {
    backends = await startBackends(1);
    backends[0]!.health.setStatus('', 'NOT_SERVING');
    const logged: string[] = [];
    grpc.setLogger({ error: (...args: unknown[]) => logged.push(args.join(' ')), info: () => {}, debug: () => {} } as unknown as Console);
    try {
      const c = client(ipv4Target(backends), { healthCheckConfig: { serviceName: '' } });
      assert.deepEqual(await spread(c, 5), { b0: 5 });
    } finally {
      grpc.setLogger(console);
    }
    assert.equal(backends[0]!.health.watcherCount(), 0);
    assert.equal(backends[0]!.peers.get('/grpc.health.v1.Health/Watch'), undefined);
    const warnings = logged.filter((line) => line.includes('health checking is OFF'));
    assert.equal(warnings.length, 1, logged.join('\n'));
    assert.ok(warnings[0]!.includes(`channel ipv4:${backends[0]!.address}`), warnings[0]);
  });
});
