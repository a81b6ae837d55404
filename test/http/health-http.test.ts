import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DependencyChecks, HealthServer, startHealthHttp } from '../../src/index.js';

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
      assert.deepEqual(await get(view.port, '/readyz?service=b.B'), { code: 503, text: 'NOT_SERVING\n', type: 'text/plain; charset=utf-8' });
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
