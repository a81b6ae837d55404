import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { startBackends, who } from './backends.js';
import { healthCheckedClient, healthSettles } from './balancer/balancer-helpers.js';
import { next, startHealth, until, within } from './helpers.js';

describe('ending Watch streams on shutdown', () => {
  it('lets tryShutdown finish at once instead of waiting for watchers', async () => {
    const h = await startHealth();
    try {
      const watches = Array.from({ length: 20 }, () => h.client.watch(''));
      for (const watch of watches) assert.equal(await next(watch), 'SERVING');
      assert.equal(h.health.watcherCount(), 20);
      const started = Date.now();
      const stopped = new Promise<void>((resolve) => h.server.tryShutdown(() => resolve()));
      assert.equal(h.health.endWatches(), 20);
      await within(stopped, 2000, 'tryShutdown');
      assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
      assert.equal(h.health.watcherCount(), 0);
      const ended = await next(watches[0]!).catch((e: Error & { code?: number }) => e);
      assert.match(String((ended as Error).message), /UNAVAILABLE: server shutting down/);
    } finally {
      h.close();
    }
  });
});

describe('gracefulShutdown: open Watch streams', { timeout: 10_000 }, () => {
  it('ends an ordinary client.watch so the stop is graceful, long before timeoutMs', async () => {
    const { gracefulShutdown } = await import('../src/index.js');
    const h = await startHealth();
    // A plain Watch does not cancel itself on GOAWAY: only the server can end it.
    const watch = h.client.watch('');
    const control = gracefulShutdown(h.server, h.health, { signals: [], drainMs: 10, timeoutMs: 5000, exit: false });
    try {
      assert.equal(await next(watch), 'SERVING');
      const started = Date.now();
      const stopping = control.shutdown();
      assert.equal(await next(watch), 'NOT_SERVING');
      assert.equal(await within(stopping, 3000, 'the graceful stop'), true, 'the stop had to be forced');
      assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms of a 5000 ms timeout`);
      const ended = await within(watch.next(), 2000, 'the end of the watch').catch((e: unknown) => e);
      assert.match(String(ended), /UNAVAILABLE: server shutting down/);
    } finally {
      control.dispose();
      h.close();
    }
  });
});

describe('gracefulShutdown: SIGTERM end to end', () => {
  it('drains a backend in a child process under load: no RPC fails, exit within drain + margin', async () => {
    const drainMs = 400;
    const script = fileURLToPath(new URL('./fixtures/graceful-server.js', import.meta.url));
    const child = spawn(process.execPath, [script, String(drainMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const others = await startBackends(1);
    let client: ReturnType<typeof healthCheckedClient> | undefined;
    try {
      const [line] = (await within(once(child.stdout, 'data'), 10_000, 'the child server')) as [Buffer];
      const port = Number(/port=(\d+)/.exec(line.toString())![1]);
      client = healthCheckedClient(`ipv4:127.0.0.1:${port},${others[0]!.address}`);

      let ok = 0;
      const failures: string[] = [];
      const seen = new Set<string>();
      let running = true;
      const workers = Array.from({ length: 8 }, async () => {
        while (running) {
          try {
            seen.add(await who(client!, 5000));
            ok += 1;
          } catch (error) {
            failures.push((error as Error).message);
          }
        }
      });
      await healthSettles((all) => all.filter((h) => h.state === 'SERVING').length === 2, 3000, 'both backends SERVING');
      await until(() => seen.has('child'), 5000, 'a Who answered by the child');

      const signalled = Date.now();
      child.kill('SIGTERM');
      const [code] = (await within(once(child, 'exit'), drainMs + 5000, 'the child to exit')) as [number];
      const exitedAfter = Date.now() - signalled;
      const okAtExit = ok;
      await until(() => ok >= okAtExit + 200, 10_000, '200 more RPCs after the exit');
      running = false;
      await within(Promise.all(workers), 10_000, 'the load to stop');

      assert.equal(code, 0, 'a graceful stop exits 0');
      assert.deepEqual(failures, []);
      assert.ok(exitedAfter >= drainMs, `exited after ${exitedAfter} ms, before the drain`);
      assert.ok(exitedAfter < drainMs + 1500, `exited after ${exitedAfter} ms`);
    } finally {
      client?.close();
      child.kill('SIGKILL');
      for (const backend of others) backend.stop();
    }
  });
});

describe('gracefulShutdown: forcing', () => {
  async function stuckServer() {
    // A Who call that never answers keeps tryShutdown waiting.
    const { Backend, WHO_SERVICE } = await import('./backends.js');
    const backend = await new Backend('stuck').start();
    const grpc = await import('@grpc/grpc-js');
    const stuck = new grpc.Server();
    stuck.addService(WHO_SERVICE, { who: () => {} });
    backend.health.addToServer(stuck);
    const port = await new Promise<number>((resolve, reject) =>
      stuck.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    backend.stop();
    const { WhoClient } = await import('./backends.js');
    const client = new WhoClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const pending = who(client, 10_000).catch((e: Error) => e);
    // Wait until the call is on the server.
    await new Promise((resolve) => client.waitForReady(Date.now() + 2000, resolve));
    return { server: stuck, health: backend.health, client, pending };
  }

  it('forces the stop past timeoutMs, and resolves false', async () => {
    const { gracefulShutdown } = await import('../src/index.js');
    const { server, health, client, pending } = await stuckServer();
    const lines: string[] = [];
    const control = gracefulShutdown(server, health, { signals: [], drainMs: 10, timeoutMs: 300, exit: false, log: (l) => lines.push(l) });
    try {
      const started = Date.now();
      assert.equal(await within(control.shutdown(), 3000, 'the forced stop'), false);
      assert.ok(Date.now() - started >= 290 && Date.now() - started < 2000);
      assert.ok(lines.some((l) => l.includes('forcing')));
      assert.ok((await within(pending, 2000, 'the stuck call to end')) instanceof Error);
    } finally {
      control.dispose();
      client.close();
    }
  });

  it('forces at once on a second signal', async () => {
    const { gracefulShutdown } = await import('../src/index.js');
    const { server, health, client, pending } = await stuckServer();
    const lines: string[] = [];
    const control = gracefulShutdown(server, health, { signals: ['SIGUSR2'], drainMs: 10_000, timeoutMs: 60_000, exit: false, log: (l) => lines.push(l) });
    try {
      process.kill(process.pid, 'SIGUSR2');
      await until(() => health.isShutdown, 2000, 'NOT_SERVING at the first signal');
      const started = Date.now();
      process.kill(process.pid, 'SIGUSR2');
      assert.equal(await within(control.shutdown(), 2000, 'the forced stop'), false);
      assert.ok(Date.now() - started < 1000);
      assert.ok(lines.some((l) => l.includes('SIGUSR2 again: forcing')));
      await within(pending, 2000, 'the stuck call to end');
    } finally {
      control.dispose();
      client.close();
    }
  });
});
