import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { type AddressInfo, connect, createServer as createTcpServer, type Socket } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type CheckResult,
  DependencyChecks,
  eventLoopDelayCheck,
  grpcCheck,
  HealthArgumentError,
  HealthServer,
  httpCheck,
  tcpCheck,
} from '../../src/index.js';
import { collectUnhandledRejections, next, startHealth, until, within } from '../helpers.js';

/** A check whose next outcomes the test sets. */
function scripted() {
  let healthy = true;
  let runs = 0;
  return {
    fn: () => {
      runs += 1;
      if (!healthy) throw new Error('database down');
    },
    set: (value: boolean) => (healthy = value),
    runs: () => runs,
  };
}

const result = (checks: DependencyChecks, name: string): CheckResult => checks.results().find((r) => r.name === name)!;

describe('DependencyChecks: thresholds', () => {
  it('n-1 failures keep SERVING, n flip it; the same for recovery', async () => {
    const health = new HealthServer();
    const db = scripted();
    const checks = new DependencyChecks(health).add('db', db.fn, { services: ['orders.Orders'], failureThreshold: 3, successThreshold: 2 });
    assert.equal(health.getStatus('orders.Orders'), 'NOT_SERVING', 'not serving before the first pass');
    await checks.runNow('db');
    assert.equal(health.getStatus('orders.Orders'), 'NOT_SERVING', 'one success of two needed');
    await checks.runNow('db');
    assert.equal(health.getStatus('orders.Orders'), 'SERVING');

    db.set(false);
    await checks.runNow('db');
    await checks.runNow('db');
    assert.equal(health.getStatus('orders.Orders'), 'SERVING', '2 failures of 3');
    assert.equal(result(checks, 'db').consecutiveFailures, 2);
    assert.equal(result(checks, 'db').lastError, 'database down');
    await checks.runNow('db');
    assert.equal(health.getStatus('orders.Orders'), 'NOT_SERVING', '3 failures');

    db.set(true);
    await checks.runNow('db');
    assert.equal(health.getStatus('orders.Orders'), 'NOT_SERVING', '1 success of 2');
    await checks.runNow('db');
    assert.equal(health.getStatus('orders.Orders'), 'SERVING', '2 successes');
    const r = result(checks, 'db');
    assert.equal(r.state, 'healthy');
    assert.equal(r.lastError, undefined);
    assert.ok(r.lastSuccessAt instanceof Date && typeof r.latencyMs === 'number');
  });

  it('a new check is unhealthy after its first failure, whatever failureThreshold says', async () => {
    const health = new HealthServer();
    const db = scripted();
    db.set(false);
    const checks = new DependencyChecks(health).add('db', db.fn, { services: ['s.S'], failureThreshold: 3 });
    assert.equal(result(checks, 'db').state, 'pending');
    await checks.runNow('db');
    // Nothing has passed yet: one failure is the verdict.
    assert.equal(result(checks, 'db').state, 'unhealthy');
    assert.equal(health.getStatus('s.S'), 'NOT_SERVING');
    db.set(true);
    await checks.runNow('db');
    assert.equal(result(checks, 'db').state, 'healthy');
    db.set(false);
    await checks.runNow('db');
    assert.equal(result(checks, 'db').state, 'healthy', 'once healthy, failureThreshold applies');
    await checks.runNow('db');
    await checks.runNow('db');
    assert.equal(result(checks, 'db').state, 'unhealthy');
  });

  it('publishes only changes: a watcher sees no flapping inside the thresholds', async () => {
    const h = await startHealth();
    const db = scripted();
    const checks = new DependencyChecks(h.health).add('db', db.fn, { services: ['s.S'], failureThreshold: 2 });
    try {
      await checks.runNow();
      const watch = h.client.watch('s.S');
      assert.equal(await next(watch), 'SERVING');
      for (let i = 0; i < 5; i++) {
        db.set(i % 2 === 0 ? false : true); // fail, pass, fail, pass, fail: never 2 in a row
        await checks.runNow();
      }
      db.set(false);
      await checks.runNow(); // the second failure in a row
      assert.equal(await next(watch), 'NOT_SERVING', 'the first message after SERVING');
      await watch.return();
    } finally {
      h.close();
    }
  });
});

describe('DependencyChecks: failures of every kind', () => {
  it('a hanging check times out, a throwing one keeps its message, garbage is a failure', async () => {
    const health = new HealthServer();
    const checks = new DependencyChecks(health, { failureThreshold: 1 })
      .add('hangs', () => new Promise(() => {}), { timeoutMs: 50 })
      .add('throws', () => {
        throw new TypeError('no route to host');
      })
      .add('rejects', () => Promise.reject(new Error('ECONNREFUSED')))
      .add('false', () => false)
      .add('says-no', () => ({ healthy: false, detail: 'replica lag 30 s' }))
      .add('garbage', () => 42 as never)
      .add('fine', () => ({ healthy: true }));
    const started = Date.now();
    await checks.runNow();
    assert.ok(Date.now() - started < 1000);
    const errors = Object.fromEntries(checks.results().map((r) => [r.name, r.lastError]));
    assert.deepEqual(errors, {
      hangs: 'timed out after 50 ms',
      throws: 'no route to host',
      rejects: 'ECONNREFUSED',
      false: 'check returned false',
      'says-no': 'replica lag 30 s',
      garbage: 'check returned an unexpected value: 42',
      fine: undefined,
    });
    // A hung run is never doubled: the next run fails without calling it again.
    await checks.runNow('hangs');
    assert.match(result(checks, 'hangs').lastError!, /previous run has not finished/);
    assert.equal(health.getStatus(''), 'NOT_SERVING');
  });

  it('aborts the signal at the timeout', async () => {
    const checks = new DependencyChecks(new HealthServer());
    let aborted = false;
    checks.add(
      'slow',
      (signal) =>
        new Promise((resolve) =>
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve(true);
          }),
        ),
      { timeoutMs: 30 },
    );
    await checks.runNow();
    assert.equal(aborted, true);
    assert.equal(result(checks, 'slow').lastError, 'timed out after 30 ms');
  });

  it('never overlaps runs of a slow check, even on a short interval', async () => {
    let active = 0;
    let most = 0;
    let runs = 0;
    const checks = new DependencyChecks(new HealthServer()).add(
      'slow',
      async () => {
        active += 1;
        most = Math.max(most, active);
        runs += 1;
        await new Promise((resolve) => setTimeout(resolve, 40));
        active -= 1;
      },
      { intervalMs: 1, timeoutMs: 1000 },
    );
    checks.start();
    await within(Promise.all([checks.runNow(), checks.runNow(), checks.runNow()]), 5000, 'three runs');
    await until(() => runs >= 4, 3000, 'four runs');
    checks.stop();
    assert.equal(most, 1);
  });

  it('rejects bad options and duplicate names with a typed error', () => {
    const checks = new DependencyChecks(new HealthServer()).add('a', () => true);
    assert.throws(() => checks.add('a', () => true), HealthArgumentError);
    assert.throws(() => checks.add('b', () => true, { intervalMs: 0 }), HealthArgumentError);
    assert.throws(() => checks.add('c', () => true, { jitter: 2 }), HealthArgumentError);
    assert.throws(() => checks.add('e', () => true, { failureThreshold: -1 }), {
      name: 'HealthArgumentError',
      message: 'check "e": failureThreshold must be a positive integer, got -1',
    });
    // jitter is a fraction in [0, 1): 0 is allowed, 1 and below 0 are not.
    assert.throws(() => checks.add('f', () => true, { jitter: 1 }), { message: 'check "f": jitter must be a number in [0, 1), got 1' });
    assert.throws(() => checks.add('g', () => true, { jitter: -0.1 }), HealthArgumentError);
    checks.add('h', () => true, { jitter: 0 });
    assert.throws(() => checks.add('d', 'nope' as never), HealthArgumentError);
    return assert.rejects(checks.runNow('zzz'), HealthArgumentError);
  });
});

describe('DependencyChecks: aggregation', () => {
  it('a service is SERVING while all its checks pass; "" while every check does', async () => {
    const health = new HealthServer();
    const db = scripted();
    const cache = scripted();
    const queue = scripted();
    const checks = new DependencyChecks(health, { failureThreshold: 1 })
      .add('db', db.fn, { services: ['orders.Orders', 'users.Users'] })
      .add('cache', cache.fn, { services: ['users.Users'] })
      .add('queue', queue.fn);
    await checks.runNow();
    const all = () => Object.fromEntries(health.getStatuses());
    assert.deepEqual(all(), { '': 'SERVING', 'orders.Orders': 'SERVING', 'users.Users': 'SERVING' });
    cache.set(false);
    await checks.runNow();
    assert.deepEqual(all(), { '': 'NOT_SERVING', 'orders.Orders': 'SERVING', 'users.Users': 'NOT_SERVING' });
    cache.set(true);
    db.set(false);
    await checks.runNow();
    assert.deepEqual(all(), { '': 'NOT_SERVING', 'orders.Orders': 'NOT_SERVING', 'users.Users': 'NOT_SERVING' });
    db.set(true);
    queue.set(false);
    await checks.runNow();
    assert.deepEqual(all(), { '': 'NOT_SERVING', 'orders.Orders': 'SERVING', 'users.Users': 'SERVING' });
  });

  it('a throwing onResult listener: reported once, and the next listener still sees every result', async () => {
    const checks = new DependencyChecks(new HealthServer()).add('a', () => true).add('b', () => false);
    const warnings: (Error & { code?: string })[] = [];
    const onWarning = (warning: Error & { code?: string }) => {
      if (warning.code === 'GRPC_HEALTH_KIT_LISTENER_ERROR') warnings.push(warning);
    };
    process.on('warning', onWarning);
    try {
      checks.onResult(() => {
        throw new Error('listener broke');
      });
      const seen: string[] = [];
      checks.onResult((r) => seen.push(`${r.name}:${r.state}`));
      await checks.runNow();
      await checks.runNow();
      assert.deepEqual(seen.sort(), ['a:healthy', 'a:healthy', 'b:unhealthy', 'b:unhealthy']);
      await until(() => warnings.length > 0, 2000, 'the warning');
      // Warnings are emitted on a later tick: give a second one the chance to show.
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(warnings.length, 1, 'four throws, one warning');
      assert.match(warnings[0]!.message, /listener broke/);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('reports each run to listeners', async () => {
    const checks = new DependencyChecks(new HealthServer()).add('a', () => true, { services: ['x.X'] });
    const seen: string[] = [];
    const off = checks.onResult((r) => seen.push(`${r.name}:${r.state}:${r.services.join()}`));
    await checks.runNow();
    off();
    await checks.runNow();
    assert.deepEqual(seen, ['a:healthy:x.X']);
  });
});

describe('DependencyChecks: timers', () => {
  it('runs on its interval after start(), and stop() leaves no timer: the process exits', async () => {
    const script = fileURLToPath(new URL('../fixtures/checks-exit.js', import.meta.url));
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await within(once(child, 'exit'), 5000, 'the process to exit by itself')) as [number];
    assert.equal(code, 0);
    assert.match(output, /runs=([3-9]|\d\d+)/);
    assert.match(output, /stopped/);
  });
});

describe('built-in checks', () => {
  it('grpcCheck: SERVING passes, anything else fails with the reason', async () => {
    const h = await startHealth({ statuses: { 'pay.Pay': 'NOT_SERVING' } });
    try {
      const checks = new DependencyChecks(new HealthServer(), { failureThreshold: 1 })
        .add('server', grpcCheck(h.address))
        .add('pay', grpcCheck(h.client, 'pay.Pay'))
        .add('unknown', grpcCheck(h.client, 'nope.Nope'));
      await checks.runNow();
      const r = Object.fromEntries(checks.results().map((x) => [x.name, x.lastError ?? 'ok']));
      assert.equal(r.server, 'ok');
      assert.equal(r.pay, 'pay.Pay is NOT_SERVING');
      assert.match(r.unknown!, /NOT_FOUND/);
    } finally {
      h.close();
    }
  });

  it('tcpCheck and httpCheck pass against live servers and fail against closed ports', async () => {
    const tcp = createTcpServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    const http = createHttpServer((request, response) => {
      response.statusCode = request.url === '/ok' ? 200 : 500;
      response.end();
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const tcpPort = (tcp.address() as { port: number }).port;
    const httpPort = (http.address() as { port: number }).port;
    try {
      const checks = new DependencyChecks(new HealthServer(), { failureThreshold: 1 })
        .add('tcp', tcpCheck('127.0.0.1', tcpPort))
        .add('http', httpCheck(`http://127.0.0.1:${httpPort}/ok`))
        .add('http-500', httpCheck(`http://127.0.0.1:${httpPort}/broken`));
      await checks.runNow();
      tcp.close();
      http.close();
      http.closeAllConnections();
      checks.add('tcp-closed', tcpCheck('127.0.0.1', tcpPort), { timeoutMs: 1000 });
      await checks.runNow('tcp-closed');
      const r = Object.fromEntries(checks.results().map((x) => [x.name, x.lastError ?? 'ok']));
      assert.equal(r.tcp, 'ok');
      assert.equal(r.http, 'ok');
      assert.equal(r['http-500'], `GET http://127.0.0.1:${httpPort}/broken answered 500`);
      assert.match(r['tcp-closed']!, /ECONNREFUSED/);
    } finally {
      tcp.close();
      http.close();
    }
  });

  it('eventLoopDelayCheck fails after the loop was blocked', async () => {
    const fn = eventLoopDelayCheck(100);
    const checks = new DependencyChecks(new HealthServer(), { failureThreshold: 1 }).add('loop', fn);
    await checks.runNow();
    assert.equal(result(checks, 'loop').state, 'healthy');
    const until = Date.now() + 250;
    while (Date.now() < until) {
      /* block the event loop on purpose */
    }
    await checks.runNow();
    assert.match(result(checks, 'loop').lastError ?? '', /event loop blocked for \d+ ms \(limit 100 ms\)/);
  });
});

/** Runs test/fixtures/checks-hostile.ts with `scenario`; resolves with its exit code and output. */
async function hostileProcess(scenario: string) {
  const script = fileURLToPath(new URL('../fixtures/checks-hostile.js', import.meta.url));
  const child = spawn(process.execPath, [script, scenario], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    const [code] = (await within(once(child, 'exit'), 10_000, `the ${scenario} process to exit`)) as [number];
    return { code, output };
  } finally {
    child.kill('SIGKILL');
  }
}

describe('DependencyChecks: caller mistakes never take the process down (child processes)', () => {
  it('a throwing onResult listener is reported once; checks go on', async () => {
    const { code, output } = await hostileProcess('throwing-listener');
    assert.equal(code, 0, output);
    assert.match(output, /alive runs=\d+/);
    assert.equal(output.match(/onResult listener threw/g)?.length, 1, output);
  });

  it('add() refusing a name or a service registers nothing: later runs are fine', async () => {
    const { code, output } = await hostileProcess('bad-add');
    assert.equal(code, 0, output);
    assert.match(output, /alive runs=\d+ checks=1 statuses= counted=ok/, 'only the good check, only the service ""');
  });

  it('checks rejecting with a revoked Proxy or an Error whose message getter throws are failures', async () => {
    const { code, output } = await hostileProcess('hostile-errors');
    assert.equal(code, 0, output);
    assert.match(output, /revoked-proxy=check threw a value of type object that cannot be shown/);
    assert.match(output, /throwing-message=check threw/);
    assert.match(output, /hostile-outcome=.+/);
  });
});

describe('DependencyChecks: arguments', () => {
  it('services given as a string is refused, not split into characters', () => {
    const health = new HealthServer();
    const checks = new DependencyChecks(health);
    assert.throws(() => checks.add('db', () => true, { services: 'orders.Orders' as never }), /services must be an array.*wrap one name/);
    assert.deepEqual([...health.getStatuses().keys()], ['']);
    assert.deepEqual(checks.results(), []);
  });

  it('stop() keeps a run in progress from publishing or reporting afterwards', async () => {
    const health = new HealthServer();
    let finish: (() => void) | undefined;
    let first = true;
    const checks = new DependencyChecks(health).add(
      'slow',
      () => (first ? new Promise<void>((resolve) => (finish = resolve)) : undefined),
      { services: ['s.S'] },
    );
    const seen: CheckResult[] = [];
    checks.onResult((r) => seen.push(r));
    const running = checks.runNow();
    await until(() => finish !== undefined, 2000, 'the run to start');
    checks.stop();
    first = false;
    finish!();
    await running;
    assert.equal(health.getStatus('s.S'), 'NOT_SERVING', 'the pass after stop() is not published');
    assert.equal(result(checks, 'slow').state, 'pending');
    assert.deepEqual(seen, []);
    await checks.runNow();
    assert.equal(health.getStatus('s.S'), 'SERVING', 'runNow() after stop() works');
  });

  for (const restart of ['runNow', 'start'] as const) {
    it(`stop() during a run, then ${restart}(): the check runs anew at once, and its result counts`, async () => {
      const health = new HealthServer();
      const signals: AbortSignal[] = [];
      let finishFirst: (() => void) | undefined;
      const checks = new DependencyChecks(health, { intervalMs: 600_000 }).add(
        'db',
        (signal) => {
          signals.push(signal);
          // The first run hangs until the test lets it go; later runs pass at once.
          if (signals.length === 1) return new Promise<void>((resolve) => (finishFirst = resolve));
          return undefined;
        },
        { services: ['s.S'] },
      );
      const seen: CheckResult[] = [];
      checks.onResult((r) => seen.push(r));
      const first = checks.runNow();
      await until(() => finishFirst !== undefined, 2000, 'the first run to start');
      checks.stop();
      assert.equal(signals[0]!.aborted, true, 'stop() aborts the run in progress (its signal)');
      if (restart === 'runNow') {
        const again = checks.runNow();
        // The first run ignores its signal: the new one waits for it (never two at once), then runs.
        finishFirst!();
        await within(again, 5000, 'runNow() after stop()');
      } else {
        checks.start();
        finishFirst!();
        // The interval is 10 minutes: only a run started by start() itself can pass in time.
        await until(() => health.getStatus('s.S') === 'SERVING', 5000, 's.S SERVING after start()');
      }
      await first;
      assert.equal(signals.length, 2, 'the check ran a second time');
      assert.equal(signals[1]!.aborted, false);
      assert.equal(health.getStatus('s.S'), 'SERVING');
      assert.equal(result(checks, 'db').state, 'healthy');
      assert.equal(seen.length, 1, 'one result: the run after stop(), not the one before');
      checks.stop();
    });
  }

  it('property: add() with any arguments registers a check or throws HealthArgumentError and registers nothing', async () => {
    const rejections = collectUnhandledRejections();
    const garbage = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.double(),
      fc.string({ maxLength: 3 }),
      fc.boolean(),
      fc.object({ maxDepth: 1 }),
    );
    const fn = fc.constantFrom<unknown>(
      () => true,
      () => false,
      () => Promise.reject(new Error('down')),
      () => {
        throw 'a string';
      },
      42,
      undefined,
    );
    const services = fc.oneof(
      fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.constant('__proto__'), fc.constant('s'.repeat(2000))), { maxLength: 3 }),
      garbage,
    );
    const options = fc.oneof(
      fc.record(
        {
          services,
          intervalMs: fc.oneof(fc.integer({ min: 1, max: 50 }), garbage),
          timeoutMs: fc.oneof(fc.integer({ min: 1, max: 50 }), garbage),
          jitter: fc.oneof(fc.double({ min: 0, max: 0.99, noNaN: true }), garbage),
          failureThreshold: fc.oneof(fc.integer({ min: 1, max: 3 }), garbage),
          successThreshold: fc.oneof(fc.integer({ min: 1, max: 3 }), garbage),
        },
        { requiredKeys: [] },
      ),
      garbage,
    );
    const name = fc.oneof({ weight: 3, arbitrary: fc.string({ maxLength: 6 }) }, fc.anything({ maxDepth: 0 }));
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(name, fn, options), { minLength: 1, maxLength: 4 }), async (adds) => {
          const health = new HealthServer();
          const checks = new DependencyChecks(health);
          const added = new Set<string>();
          const fed = new Set<string>(['']);
          for (const [n, f, o] of adds) {
            try {
              checks.add(n as string, f as never, o as never);
              added.add(n as string);
              for (const service of (o as { services?: string[] } | undefined)?.services ?? []) fed.add(service);
            } catch (error) {
              assert.ok(error instanceof HealthArgumentError, String(error));
            }
          }
          assert.deepEqual(new Set(checks.results().map((r) => r.name)), added);
          assert.deepEqual(new Set(health.getStatuses().keys()), fed);
          await within(checks.runNow(), 2000, 'runNow');
          checks.start();
          checks.stop();
        }),
        { numRuns: 200 },
      );
      await rejections.assertNone();
    } finally {
      rejections.stop();
    }
  });
});

describe('DependencyChecks: cost of a run', { timeout: 30_000 }, () => {
  // Per run, the work is in the check's own services; it used to be in every check (O(n) per run, O(n²) per round).
  it('a run with 20,000 checks registered costs about what it costs with 20', async () => {
    const perRun = async (registered: number) => {
      const checks = new DependencyChecks(new HealthServer());
      let healthy = true;
      checks.add('flipping', () => healthy, { services: ['flip.Flip'], failureThreshold: 1 });
      for (let i = 1; i < registered; i++) checks.add(`c${i}`, () => true, { services: [`s${i % 100}`] });
      const rounds = 2000;
      const started = performance.now();
      for (let i = 0; i < rounds; i++) {
        healthy = !healthy; // every run changes the status: the aggregate is recomputed each time
        await checks.runNow('flipping');
      }
      return (performance.now() - started) / rounds;
    };
    await perRun(20); // warm-up
    const small = await perRun(20);
    const large = await within(perRun(20_000), 20_000, 'the runs with 20,000 checks');
    assert.ok(large < small * 10, `${large.toFixed(3)} ms per run with 20,000 checks, ${small.toFixed(3)} ms with 20`);
  });
});

describe('DependencyChecks: stop() releases what checks hold', () => {
  it('eventLoopDelayCheck timers are cleared by stop() and started again by a later run', async () => {
    const live = new Set<unknown>();
    const realSet = globalThis.setInterval;
    const realClear = globalThis.clearInterval;
    globalThis.setInterval = ((...args: Parameters<typeof setInterval>) => {
      const timer = realSet(...args);
      live.add(timer);
      return timer;
    }) as typeof setInterval;
    globalThis.clearInterval = ((timer: NodeJS.Timeout | undefined) => {
      live.delete(timer);
      realClear(timer);
    }) as typeof clearInterval;
    try {
      const checks = new DependencyChecks(new HealthServer());
      for (let i = 0; i < 50; i++) checks.add(`loop${i}`, eventLoopDelayCheck());
      await checks.runNow();
      assert.equal(live.size, 50);
      checks.stop();
      assert.equal(live.size, 0, 'every sampler cleared');
      await checks.runNow();
      assert.equal(live.size, 50, 'started again');
      checks.stop();
      assert.equal(live.size, 0);
    } finally {
      globalThis.setInterval = realSet;
      globalThis.clearInterval = realClear;
    }
  });

  it('grpcCheck closes the client it opened on stop() (the connection ends), and leaves yours open', async () => {
    const h = await startHealth();
    // A TCP relay in front of the server, to see the check's connections from outside.
    const open = new Set<Socket>();
    const relay = createTcpServer((socket) => {
      const upstream = connect(h.port, '127.0.0.1');
      open.add(socket);
      socket.pipe(upstream).pipe(socket);
      const end = () => {
        open.delete(socket);
        socket.destroy();
        upstream.destroy();
      };
      socket.on('close', end).on('error', end);
      upstream.on('close', end).on('error', end);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const relayPort = (relay.address() as AddressInfo).port;
    try {
      const checks = new DependencyChecks(new HealthServer()).add('grpc', grpcCheck(`127.0.0.1:${relayPort}`));
      await checks.runNow();
      assert.equal(result(checks, 'grpc').state, 'healthy');
      assert.ok(open.size >= 1);
      checks.stop();
      await until(() => open.size === 0, 3000, "the check's connection to close");
      await checks.runNow();
      assert.equal(result(checks, 'grpc').state, 'healthy', 'a later run opens a new client');
      checks.stop();
      await until(() => open.size === 0, 3000, 'the second connection to close');
    } finally {
      relay.close();
      h.close();
    }
  });
});
