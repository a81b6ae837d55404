/** The examples run as a user runs them, as child processes, and say what they should. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { next, within } from './helpers.js';

const run = promisify(execFile);
const example = (name: string) => fileURLToPath(new URL(`../examples/${name}.js`, import.meta.url));

describe('examples', () => {
  it('custom-health: hand-written Check and Watch on the generated definition', async () => {
    const { stdout } = await run(process.execPath, [example('custom-health')], { timeout: 10_000 });
    assert.deepEqual(stdout.trim().split('\n'), [
      'check "": SERVING',
      'watch "": SERVING',
      'watch "": NOT_SERVING',
      'check "": NOT_SERVING',
    ]);
  });

  it('demo: traffic follows drains, a failed dependency and a graceful shutdown; no RPC fails', async () => {
    const { stdout } = await run(process.execPath, [example('demo')], { timeout: 30_000 });
    const lines = stdout.split('\n');
    const watched = lines.filter((line) => line.includes('watch   b1')).map((line) => line.split('<- ')[1]);
    assert.deepEqual(watched, ['SERVING', 'NOT_SERVING', 'SERVING']);
    const rows = lines
      .filter((line) => line.includes(' rpcs '))
      .map((line) => Object.fromEntries([...line.matchAll(/(b\d|failed) +(\d+)/g)].map((m) => [m[1], Number(m[2])])));
    assert.equal(rows.length, 12, stdout);
    const [, steady, , drained, , b1Back, , dbGone, , dbBack, , b0Gone] = rows as Record<string, number>[];
    assert.ok(steady!.b0! > 0 && steady!.b1! > 0 && steady!.b2! > 0, 'all three get traffic');
    assert.equal(drained!.b1, 0, 'b1 gets nothing once drained');
    assert.ok(b1Back!.b1! > 0, 'traffic returns to b1');
    assert.equal(dbGone!.b2, 0, 'b2 gets nothing once its database check failed twice');
    assert.ok(dbBack!.b2! > 0, 'traffic returns to b2');
    assert.equal(b0Gone!.b0, 0, 'b0 gets nothing after its graceful shutdown');
    assert.match(stdout, /check {3}b2 database failed 2x/);
    assert.match(stdout, /b0 {6}server stopped gracefully/);
    assert.match(stdout, /done: \d+ RPCs, 0 failed/);
    assert.ok(!stdout.includes('FAILED'), stdout);
  });
});

describe('examples/production-server', () => {
  it('serves gRPC and HTTP health from its dependency checks, and drains on SIGTERM', async () => {
    const { spawn } = await import('node:child_process');
    const { createServer } = await import('node:net');
    const { HealthClient } = await import('../src/index.js');
    const grpc = await import('@grpc/grpc-js');
    const database = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => database.listen(0, '127.0.0.1', resolve));
    const env = {
      ...process.env,
      PORT: '0',
      HTTP_PORT: '0',
      DB_HOST: '127.0.0.1',
      DB_PORT: String((database.address() as { port: number }).port),
      DRAIN_MS: '200',
    };
    const child = spawn(process.execPath, [example('production-server')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let client: InstanceType<typeof HealthClient> | undefined;
    try {
      const line = await within(
        new Promise<string>((resolve) => child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString()))),
        10_000,
        'the example to listen',
      );
      const [, grpcPort, httpPort] = /grpc on (\d+), http on (\d+)/.exec(line)!;
      client = new HealthClient(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
      // The first check run may still be under way: wait for it on a Watch.
      const watch = client.watch('orders.Orders');
      while ((await next(watch, 5000, 'orders.Orders SERVING')) !== 'SERVING');
      await watch.return();
      assert.equal(await client.check(''), 'SERVING');
      const ready = await fetch(`http://127.0.0.1:${httpPort}/readyz`);
      assert.equal(ready.status, 200);
      await ready.text();
      const started = Date.now();
      child.kill('SIGTERM');
      const [code] = (await within(once(child, 'exit'), 5000, 'the example to exit')) as [number | null];
      assert.equal(code, 0);
      assert.ok(Date.now() - started < 3000, `exit took ${Date.now() - started} ms`);
    } finally {
      client?.close();
      child.kill('SIGKILL');
      database.close();
    }
  });
});
