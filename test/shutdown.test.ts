import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { startBackends, who } from './backends.js';
import { healthCheckedClient, healthSettles } from './balancer/balancer-helpers.js';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { gracefulShutdown, type GracefulShutdownOptions, HealthArgumentError, HealthServer } from '../src/index.js';
import { collectUnhandledRejections, next, startHealth, until, within } from './helpers.js';
import { type Load, startLoad } from './load.js';

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
  it('drains a backend in a child process under load: no RPC fails, exit within drain + margin', async (t) => {
    const drainMs = 400;
    const script = fileURLToPath(new URL('./fixtures/graceful-server.js', import.meta.url));
    const child = spawn(process.execPath, [script, String(drainMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const others = await startBackends(1);
    let client: ReturnType<typeof healthCheckedClient> | undefined;
    let load: Load | undefined;
    try {
      const [line] = (await within(once(child.stdout, 'data'), 10_000, 'the child server')) as [Buffer];
      const port = Number(/port=(\d+)/.exec(line.toString())![1]);
      const calling = healthCheckedClient(`ipv4:127.0.0.1:${port},${others[0]!.address}`);
      client = calling;

      const seen = new Set<string>();
      load = startLoad(8, () => who(calling, 5000), { signal: t.signal, onResult: (name) => seen.add(name) });
      await healthSettles((all) => all.filter((h) => h.state === 'SERVING').length === 2, 3000, 'both backends SERVING');
      await until(() => seen.has('child'), 5000, 'a Who answered by the child');

      const signalled = Date.now();
      child.kill('SIGTERM');
      const [code] = (await within(once(child, 'exit'), drainMs + 5000, 'the child to exit')) as [number];
      const exitedAfter = Date.now() - signalled;
      const okAtExit = load.ok;
      await until(() => load!.ok >= okAtExit + 200, 10_000, '200 more RPCs after the exit');
      await within(load.stop(), 10_000, 'the load to stop');

      assert.equal(code, 0, 'a graceful stop exits 0');
      assert.deepEqual(load.failures, []);
      assert.ok(exitedAfter >= drainMs, `exited after ${exitedAfter} ms, before the drain`);
      assert.ok(exitedAfter < drainMs + 1500, `exited after ${exitedAfter} ms`);
    } finally {
      // The load stops before the client closes: calls on a closed client fail at once.
      await load?.stop();
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
});

/** A child process running test/fixtures/shutdown-process.ts with one scenario. */
async function shutdownProcess(scenario: string) {
  const script = fileURLToPath(new URL('./fixtures/shutdown-process.js', import.meta.url));
  const child = spawn(process.execPath, [script, scenario], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let errors = '';
  const waiters: (() => void)[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    for (const wake of waiters.splice(0)) wake();
  });
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const printed = async (pattern: RegExp, ms = 10_000) => {
    const seen = async () => {
      while (!pattern.test(output)) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited before printing ${pattern}: ${output}${errors}`);
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    };
    await within(seen(), ms, `${pattern} from the child (so far: ${JSON.stringify(output)})`);
  };
  await printed(/ready port=\d+/);
  return {
    child,
    printed,
    exited: (ms: number) => within(exited, ms, `the child (${scenario}) to exit`),
    output: () => output,
    errors: () => errors,
  };
}

describe('gracefulShutdown: bounded, and killable (child processes)', { timeout: 30_000 }, () => {
  it('timeoutMs bounds onStopped: one that never settles ends in exit code 1 at timeoutMs', async () => {
    const p = await shutdownProcess('onStopped-hangs');
    try {
      const signalled = Date.now();
      p.child.kill('SIGTERM');
      const { code } = await p.exited(5000);
      assert.equal(code, 1);
      assert.ok(Date.now() - signalled >= 350, `exited after ${Date.now() - signalled} ms, before timeoutMs`);
      assert.match(p.output(), /onStopped had not finished 400 ms after the signal/);
    } finally {
      p.child.kill('SIGKILL');
    }
  });

  it('a half-sent HTTP request does not hold the shutdown: HTTP view closed in onStopped, exit 0', async () => {
    const p = await shutdownProcess('http-half-request');
    try {
      p.child.kill('SIGTERM');
      const { code } = await p.exited(4000);
      assert.equal(code, 0, p.output() + p.errors());
    } finally {
      p.child.kill('SIGKILL');
    }
  });

  for (const scenario of ['onStopped-rejects', 'onStopped-throws']) {
    it(`${scenario}: reported, no unhandled rejection; the shutdown ends unclean`, async () => {
      const p = await shutdownProcess(scenario);
      try {
        p.child.kill('SIGTERM');
        await p.printed(/shutdown not clean/);
        assert.match(p.output(), /onStopped failed: (pool close|flush) failed/);
        // exit: false and an application that lives on: a later SIGTERM has its default effect.
        p.child.kill('SIGTERM');
        assert.deepEqual(await p.exited(5000), { code: null, signal: 'SIGTERM' });
        assert.doesNotMatch(p.errors(), /Unhandled|unhandled/);
      } finally {
        p.child.kill('SIGKILL');
      }
    });
  }

  it('exit: false removes its handlers when done: the next SIGTERM ends the process', async () => {
    const p = await shutdownProcess('exit-false');
    try {
      p.child.kill('SIGTERM');
      await p.printed(/shutdown complete/);
      p.child.kill('SIGTERM');
      assert.deepEqual(await p.exited(5000), { code: null, signal: 'SIGTERM' });
    } finally {
      p.child.kill('SIGKILL');
    }
  });

  for (const [scenario, expected] of [
    ['long-drain', { code: 1, signal: null }],
    ['long-drain-exit-false', { code: null, signal: 'SIGTERM' }],
  ] as const) {
    it(`a second SIGTERM during the drain ends the process at once (${scenario})`, async () => {
      const p = await shutdownProcess(scenario);
      try {
        p.child.kill('SIGTERM');
        await p.printed(/draining for 10000 ms/);
        const started = Date.now();
        p.child.kill('SIGTERM');
        assert.deepEqual(await p.exited(5000), expected);
        assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
        assert.match(p.output(), /SIGTERM again: forcing/);
      } finally {
        p.child.kill('SIGKILL');
      }
    });
  }
});

describe('gracefulShutdown: options checked at the call', () => {
  const server = new grpc.Server();
  const health = new HealthServer();
  for (const [what, options] of [
    ['timeoutMs: Infinity', { timeoutMs: Infinity }],
    ['drainMs: NaN (Number("5s"))', { drainMs: Number('5s') }],
    ['drainMs: -1', { drainMs: -1 }],
    ['drainMs > timeoutMs', { drainMs: 10_000, timeoutMs: 5000 }],
    ['drainMs as a string', { drainMs: '5000' }],
    ["timeoutMs past setTimeout's range", { timeoutMs: 2 ** 31 }],
    ['timeoutMs: 0', { timeoutMs: 0, drainMs: 0 }],
    ['signals as a string', { signals: 'SIGTERM' }],
    ['exit as a string', { exit: 'no' }],
    ['onStopped not a function', { onStopped: 42 }],
  ] as const) {
    it(`refuses ${what} with a HealthArgumentError`, () => {
      assert.throws(() => gracefulShutdown(server, health, options as unknown as GracefulShutdownOptions), HealthArgumentError);
    });
  }

  it('property: any option object gives a HealthArgumentError or a shutdown that resolves a boolean, never an unhandled rejection', async () => {
    const rejections = collectUnhandledRejections();
    const garbage = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.double(),
      fc.string({ maxLength: 5 }),
      fc.boolean(),
      fc.object({ maxDepth: 1 }),
    );
    const duration = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 30 }) }, garbage);
    const callback = fc.constantFrom(
      undefined,
      () => {},
      () => Promise.resolve(),
      () => Promise.reject(new Error('rejects')),
      () => {
        throw new Error('throws');
      },
      () => new Promise<void>(() => {}),
    );
    const options = fc.record(
      {
        drainMs: duration,
        timeoutMs: duration,
        signals: fc.oneof(fc.constant([]), fc.constant(['SIGUSR2']), garbage),
        onStopped: fc.oneof({ weight: 4, arbitrary: callback }, garbage),
        log: fc.oneof({ weight: 4, arbitrary: callback }, garbage),
        exit: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, garbage),
      },
      { requiredKeys: [] },
    );
    try {
      await fc.assert(
        fc.asyncProperty(options, async (o) => {
          // exit: true would end the test process: only the validation is tried with it.
          // Absent durations get short ones here, not the defaults of seconds.
          const runnable = o.exit === false || o.exit === undefined;
          const tried = runnable ? { ...o, drainMs: o.drainMs ?? 0, timeoutMs: o.timeoutMs ?? 30, exit: false } : o;
          let control;
          try {
            control = gracefulShutdown(new grpc.Server(), new HealthServer(), tried as GracefulShutdownOptions);
          } catch (error) {
            assert.ok(error instanceof HealthArgumentError, String(error));
            return;
          }
          try {
            if (runnable) assert.equal(typeof (await within(control.shutdown(), 2000, 'the shutdown')), 'boolean');
          } finally {
            control.dispose();
          }
        }),
        { numRuns: 150 },
      );
      await rejections.assertNone();
    } finally {
      rejections.stop();
    }
  });
});
