/** The nice-grpc adapter on a real nice-grpc server, probed by our HealthClient and CLI. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { createServer, type Server } from 'nice-grpc';
import { HealthDefinition, niceHealth, stoppableNiceServer } from '../../../src/adapters/nice-grpc/index.js';
import {
  gracefulShutdown,
  GrpcCode,
  HealthArgumentError,
  HealthClient,
  HealthServer,
  type HealthServerOptions,
} from '../../../src/index.js';
import { runCli } from '../../cli/run-cli.js';
import { next, until, within } from '../../helpers.js';

const T = { timeout: 30_000 };

async function withNice(
  options: HealthServerOptions,
  body: (context: { health: HealthServer; server: Server; address: string; client: HealthClient }) => Promise<void>,
): Promise<void> {
  const health = new HealthServer(options);
  const server = createServer();
  server.add(HealthDefinition, niceHealth(health));
  const port = await server.listen('127.0.0.1:0');
  const address = `127.0.0.1:${port}`;
  const client = new HealthClient(address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  try {
    await body({ health, server, address, client });
  } finally {
    client.close();
    server.forceShutdown();
  }
}

async function codeOf(promise: Promise<unknown>): Promise<number | undefined> {
  return within(promise, 5000, 'an answer').then(
    () => undefined,
    (error: { code?: number }) => error.code,
  );
}

describe('niceHealth', T, () => {
  it('refuses anything but a HealthServer', () => {
    assert.throws(() => niceHealth({} as HealthServer), HealthArgumentError);
  });

  it('answers Check and List; refusals keep their gRPC codes', () =>
    withNice({ statuses: { 'orders.Orders': 'NOT_SERVING' }, maxListedServices: 2 }, async ({ health, client }) => {
      assert.equal(await client.check(''), 'SERVING');
      assert.equal(await client.check('orders.Orders'), 'NOT_SERVING');
      assert.equal(await codeOf(client.check('nobody.Here')), GrpcCode.NOT_FOUND);
      assert.deepEqual([...(await client.list())].sort(), [
        ['', 'SERVING'],
        ['orders.Orders', 'NOT_SERVING'],
      ]);
      health.setStatus('third.Third', 'SERVING');
      assert.equal(await codeOf(client.list()), GrpcCode.RESOURCE_EXHAUSTED);
    }));

  it('Watch: current status first, then changes; an over-long name is INVALID_ARGUMENT', () =>
    withNice({ maxServiceNameLength: 10 }, async ({ health, client }) => {
      const watch = client.watch('a.A');
      assert.equal(await next(watch), 'SERVICE_UNKNOWN');
      health.setStatus('a.A', 'SERVING');
      assert.equal(await next(watch), 'SERVING');
      health.setStatus('a.A', 'SERVING');
      health.setStatus('a.A', 'NOT_SERVING');
      assert.equal(await next(watch), 'NOT_SERVING');
      await assert.rejects(next(client.watch('x'.repeat(11))), (error: { code?: number }) => error.code === GrpcCode.INVALID_ARGUMENT);
    }));

  it("a cancelled Watch call leaves the core at once (nice-grpc's AbortSignal)", () =>
    withNice({}, async ({ health, client }) => {
      const controller = new AbortController();
      const watch = client.watch('', { signal: controller.signal });
      assert.equal(await next(watch), 'SERVING');
      assert.equal(health.watcherCount(''), 1);
      controller.abort();
      await until(() => health.watcherCount() === 0, 5000, 'the watch to leave the registry');
    }));

  it('endWatches lets server.shutdown() finish; the streams end UNAVAILABLE', () =>
    withNice({}, async ({ health, server, client }) => {
      const watches = Array.from({ length: 5 }, () => client.watch(''));
      for (const watch of watches) assert.equal(await next(watch), 'SERVING');
      const stopped = server.shutdown();
      assert.equal(health.endWatches(), 5);
      await within(stopped, 3000, 'server.shutdown()');
      assert.equal(await codeOf(next(watches[0]!)), GrpcCode.UNAVAILABLE);
    }));

  it('is probed by the grpc-health CLI like any gRPC server', () =>
    withNice({ statuses: { 'orders.Orders': 'NOT_SERVING' } }, async ({ address }) => {
      const serving = await runCli(['-addr', address]);
      assert.equal(serving.code, 0, serving.stderr);
      assert.match(serving.stdout + serving.stderr, /status: SERVING/);
      const notServing = await runCli(['-addr', address, '-service', 'orders.Orders']);
      assert.notEqual(notServing.code, 0);
      assert.match(notServing.stdout + notServing.stderr, /NOT_SERVING/);
    }));
});

describe('stoppableNiceServer: gracefulShutdown of a nice-grpc server', T, () => {
  it('drains: NOT_SERVING, still answering, then stops with Watch streams ended', () =>
    withNice({}, async ({ health, server, client }) => {
      assert.throws(() => stoppableNiceServer({} as Server), HealthArgumentError);
      const watch = client.watch('');
      assert.equal(await next(watch), 'SERVING');
      const control = gracefulShutdown(stoppableNiceServer(server), health, { signals: [], drainMs: 200, timeoutMs: 5000, exit: false });
      try {
        const stopping = control.shutdown();
        assert.equal(await next(watch), 'NOT_SERVING');
        assert.equal(await client.check(''), 'NOT_SERVING');
        assert.equal(await within(stopping, 3000, 'the graceful stop'), true);
        assert.equal(await codeOf(next(watch)), GrpcCode.UNAVAILABLE);
      } finally {
        control.dispose();
      }
    }));
});
