import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import express from 'express';
import fc from 'fast-check';
import Fastify from 'fastify';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DependencyChecks,
  HealthArgumentError,
  HealthServer,
  healthHttpFastifyPlugin,
  healthHttpHandler,
  MAX_ECHOED_SERVICE_LENGTH,
  startHealthHttp,
} from '../../src/index.js';
import { within } from '../helpers.js';
import { openSocket, rawGet, readAll } from './raw-http.js';

async function get(port: number, path: string, method = 'GET') {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  const text = await response.text();
  return { code: response.status, text, type: response.headers.get('content-type') };
}

describe('HTTP view', () => {
  it('answers /livez, /readyz and /healthz with 200 or 503, and JSON with ?verbose', async () => {
    const health = new HealthServer({ statuses: { 'a.A': 'SERVING', 'b.B': 'NOT_SERVING' } });
    const checks = new DependencyChecks(health).add('db', () => true, { services: ['a.A'] });
    await checks.runNow();
    const view = await startHealthHttp(health, { port: 0, checks });
    try {
      assert.deepEqual(await get(view.port, '/livez'), { code: 200, text: 'ok\n', type: 'text/plain; charset=utf-8' });
      assert.equal((await get(view.port, '/readyz')).code, 200);
      assert.equal((await get(view.port, '/readyz?service=a.A')).code, 200);
      assert.deepEqual(await get(view.port, '/readyz?service=b.B'), {
        code: 503,
        text: 'NOT_SERVING\n',
        type: 'text/plain; charset=utf-8',
      });
      assert.equal((await get(view.port, '/readyz?service=zzz')).code, 404);
      assert.equal((await get(view.port, '/healthz')).code, 503, 'b.B is not serving');

      const verbose = await get(view.port, '/healthz?verbose');
      assert.equal(verbose.type, 'application/json');
      const body = JSON.parse(verbose.text);
      assert.equal(body.status, 'NOT_SERVING');
      assert.deepEqual(body.services, { '': 'SERVING', 'a.A': 'SERVING', 'b.B': 'NOT_SERVING' });
      assert.equal(body.checks[0].name, 'db');
      assert.equal(body.checks[0].state, 'healthy');

      health.setStatus('b.B', 'SERVING');
      assert.equal((await get(view.port, '/healthz')).code, 200);

      health.shutdown();
      assert.equal((await get(view.port, '/readyz')).code, 503);
      assert.equal(JSON.parse((await get(view.port, '/readyz?verbose')).text).shutdown, true);
      assert.equal((await get(view.port, '/livez')).code, 200, 'still alive while shutting down');

      assert.equal((await get(view.port, '/nope')).code, 404);
      assert.equal((await get(view.port, '/readyz', 'POST')).code, 405);
      const head = await get(view.port, '/readyz', 'HEAD');
      assert.equal(head.code, 503);
      assert.equal(head.text, '');
    } finally {
      await view.close();
    }
  });
});

describe('startHealthHttp: the port', () => {
  it('refuses a port that is not an integer in [0, 65535], strings included: no Unix socket named "8080x"', async () => {
    const health = new HealthServer();
    const directory = mkdtempSync(join(tmpdir(), 'health-http-port-'));
    const cwd = process.cwd();
    process.chdir(directory);
    try {
      for (const port of ['8080x', '8080', 65_536, -1, 80.5, Number.NaN, undefined, null]) {
        await assert.rejects(
          startHealthHttp(health, { port } as never),
          (error: unknown) => error instanceof HealthArgumentError && /port must be an integer port in \[0, 65535\]/.test(error.message),
          `port ${String(port)}`,
        );
      }
      assert.deepEqual(readdirSync(directory), [], 'nothing was created where a socket path would go');
      await assert.rejects(startHealthHttp(health, { port: 0, host: '' }), HealthArgumentError);
    } finally {
      process.chdir(cwd);
      rmSync(directory, { recursive: true, force: true });
    }
    const view = await startHealthHttp(health, { port: 0 });
    try {
      assert.ok(view.port > 0);
    } finally {
      await view.close();
    }
  });
});

describe('HTTP view: hostile request targets', () => {
  it('answers 400 or 404 to targets that URL parsing refuses, and keeps serving', async () => {
    const view = await startHealthHttp(new HealthServer(), { port: 0 });
    try {
      const targets = ['//[', 'http://[', '//a:99999/', '//%zz%/x', '//x:y@/', '*', 'example.com:443', '/readyz?service=%zz%'];
      for (const target of targets) {
        const { code } = await rawGet(view.port, target);
        assert.ok(code === 400 || code === 404, `${target} answered ${code}`);
      }
      assert.equal((await rawGet(view.port, '/readyz?%%%=%&service')).code, 200, 'malformed escapes left as they are');
      assert.equal((await rawGet(view.port, 'http://[')).code, 400);
      assert.equal((await rawGet(view.port, '//[')).code, 404);
      assert.equal((await rawGet(view.port, '/livez')).code, 200, 'still serving');
      assert.equal((await rawGet(view.port, '127.0.0.1:1', 'CONNECT')).code, 405, 'CONNECT answered, not closed unanswered');
    } finally {
      await view.close();
    }
  });

  it('caps the echo of ?service= in a 404 and the check errors of ?verbose', async () => {
    const health = new HealthServer();
    const checks = new DependencyChecks(health, { failureThreshold: 1 }).add('huge', () => ({
      healthy: false,
      detail: 'x'.repeat(10_000_000),
    }));
    await checks.runNow();
    const view = await startHealthHttp(health, { port: 0, checks });
    try {
      const long = 'a'.repeat(15_000);
      for (const path of [`/readyz?service=${long}`, `/readyz?verbose&service=${long}`]) {
        const answer = await get(view.port, path);
        assert.equal(answer.code, 404);
        assert.ok(answer.text.length < MAX_ECHOED_SERVICE_LENGTH + 100, `${answer.text.length} characters`);
      }
      const verbose = await get(view.port, '/healthz?verbose');
      assert.equal(verbose.code, 503);
      assert.ok(verbose.text.length < 5000, `${verbose.text.length} characters`);
      assert.match(JSON.parse(verbose.text).checks[0].lastError, /^x+…$/);
    } finally {
      await view.close();
    }
  });

  it('property: any target or query gets an HTTP answer, never a crash', async () => {
    const view = await startHealthHttp(new HealthServer({ statuses: { 'a.A': 'SERVING' } }), { port: 0 });
    // Bytes Node's parser lets through in a request target, plus the ones URL parsing chokes on.
    const targetChar = fc.constantFrom(..."/?#[]@:%&=+.;,!$'()*~-_aAz09".split(''), '%zz', '%2F', '%00', '\u00ff', '\u0080');
    const target = fc.oneof(
      fc.array(targetChar, { maxLength: 40 }).map((chars) => chars.join('')),
      fc.array(targetChar, { maxLength: 40 }).map((chars) => `/${chars.join('')}`),
      fc.tuple(fc.constantFrom('/livez', '/readyz', '/healthz'), fc.string({ maxLength: 60 })).map(([path, query]) => `${path}?${query}`),
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
    );
    const method = fc.constantFrom('GET', 'HEAD', 'POST', 'OPTIONS');
    try {
      await fc.assert(
        fc.asyncProperty(target, method, async (t, m) => {
          const { code, raw } = await rawGet(view.port, t, m);
          assert.ok([200, 400, 404, 405, 503].includes(code), `${m} ${JSON.stringify(t)} answered ${raw.slice(0, 80)}`);
        }),
        { numRuns: 120 },
      );
      assert.equal((await rawGet(view.port, '/livez')).code, 200);
    } finally {
      await view.close();
    }
  });
});

describe('HTTP view: close()', () => {
  it('ends idle and stalled connections and resolves within the bound', async () => {
    const view = await startHealthHttp(new HealthServer(), { port: 0, closeTimeoutMs: 200 });
    const idle = await openSocket(view.port);
    const idleClosed = readAll(idle);
    idle.write('GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await within(new Promise((resolve) => idle.once('data', resolve)), 2000, 'the first answer');
    const stalled = await openSocket(view.port);
    const stalledClosed = readAll(stalled);
    stalled.write('GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n'); // the blank line never comes
    const started = Date.now();
    await within(view.close(), 3000, 'close() with a half-sent request open');
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
    await within(Promise.all([idleClosed, stalledClosed]), 2000, 'both sockets closed');
  });
});

describe('HTTP view: mounted in frameworks', () => {
  it('Express: app.use(prefix, handler) answers under the prefix and passes other paths on', async () => {
    const health = new HealthServer({ statuses: { 'a.A': 'NOT_SERVING' } });
    const app = express();
    app.use('/health', healthHttpHandler(health));
    app.get('/hello', (_request, response) => {
      response.send('hi');
    });
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    try {
      assert.deepEqual(await get(port, '/health/livez'), { code: 200, text: 'ok\n', type: 'text/plain; charset=utf-8' });
      assert.equal((await get(port, '/health/readyz')).code, 200);
      assert.equal((await get(port, '/health/readyz?service=a.A')).code, 503);
      assert.equal((await get(port, '/health/healthz')).code, 503);
      assert.equal((await get(port, '/hello')).text, 'hi');
      assert.equal((await get(port, '/health/other')).code, 404, "Express's own 404");
      assert.equal((await rawGet(port, '/health//[')).code, 404);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('Fastify: the plugin registers the routes under its prefix', async () => {
    const health = new HealthServer();
    const app = Fastify();
    await app.register(healthHttpFastifyPlugin(health), { prefix: '/health' });
    app.get('/hello', async () => 'hi');
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as AddressInfo).port;
    try {
      assert.deepEqual(await get(port, '/health/livez'), { code: 200, text: 'ok\n', type: 'text/plain; charset=utf-8' });
      assert.equal((await get(port, '/health/readyz?service=zzz')).code, 404);
      health.shutdown();
      assert.equal((await get(port, '/health/readyz')).code, 503);
      assert.equal(JSON.parse((await get(port, '/health/healthz?verbose')).text).shutdown, true);
      const head = await get(port, '/health/readyz', 'HEAD');
      assert.equal(head.code, 503);
      assert.equal((await get(port, '/hello')).text, 'hi');
      assert.equal((await rawGet(port, '/health/readyz?service=%zz')).code, 404);
    } finally {
      await app.close();
    }
  });
});
