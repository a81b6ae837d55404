/**
 * The Connect adapter mounted in the HTTP frameworks users already run: Express
 * (connect-express middleware) and Fastify (connect-fastify plugin), over HTTP/1.1,
 * called with the Connect protocol and gRPC-Web.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { Code, ConnectError, createClient, type ConnectRouter } from '@connectrpc/connect';
import { expressConnectMiddleware } from '@connectrpc/connect-express';
import { fastifyConnectPlugin } from '@connectrpc/connect-fastify';
import { createConnectTransport } from '@connectrpc/connect-node';
import { createGrpcWebTransport } from '@connectrpc/connect-web';
import express from 'express';
import { fastify } from 'fastify';
import { HealthServer } from '../../../src/index.js';
import { addHealthService, Health, HealthCheckResponse_ServingStatus as Status } from '../../../src/adapters/connect/index.js';
import { within } from '../../helpers.js';

async function exercise(baseUrl: string, health: HealthServer): Promise<void> {
  for (const transport of [createConnectTransport({ baseUrl, httpVersion: '1.1' }), createGrpcWebTransport({ baseUrl })]) {
    const client = createClient(Health, transport);
    assert.equal((await client.check({ service: 'orders.Orders' })).status, Status.SERVING);
    const refused = await client.check({ service: 'who.Knows' }).catch((error: unknown) => error);
    assert.ok(refused instanceof ConnectError && refused.code === Code.NotFound, String(refused));
    const abort = new AbortController();
    const watch = client.watch({ service: 'orders.Orders' }, { signal: abort.signal })[Symbol.asyncIterator]();
    assert.equal((await within(watch.next(), 5000, 'the first Watch message')).value?.status, Status.SERVING);
    health.setStatus('orders.Orders', 'NOT_SERVING');
    assert.equal((await within(watch.next(), 5000, 'the change')).value?.status, Status.NOT_SERVING);
    health.setStatus('orders.Orders', 'SERVING');
    abort.abort();
    await watch.return?.().catch(() => {});
  }
}

describe('Connect adapter in HTTP frameworks', { timeout: 30_000 }, () => {
  const stops: (() => Promise<unknown>)[] = [];
  after(() => Promise.all(stops.map((stop) => stop())));
  const routes = (health: HealthServer) => (router: ConnectRouter) => addHealthService(router, health);

  it('serves Check and Watch from Express middleware', async () => {
    const health = new HealthServer({ statuses: { 'orders.Orders': 'SERVING' } });
    const app = express();
    app.use(expressConnectMiddleware({ routes: routes(health) }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    stops.push(async () => {
      health.endWatches();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });
    await exercise(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, health);
  });

  it('serves Check and Watch from a Fastify plugin', async () => {
    const health = new HealthServer({ statuses: { 'orders.Orders': 'SERVING' } });
    const app = fastify();
    await app.register(fastifyConnectPlugin, { routes: routes(health) });
    await app.listen({ port: 0, host: '127.0.0.1' });
    stops.push(async () => {
      health.endWatches();
      await app.close();
    });
    await exercise(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, health);
  });
});
