/**
 * The example Nest app (examples/nestjs) in a child process, under load from a
 * health-checked client that also reaches a second backend: SIGTERM drains it
 * inside Nest's lifecycle with no failed RPC, and the process exits after the drain.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { healthCheckChannelOptions, HealthClient } from '../../src/index.js';
import { healthSettles } from '../balancer/balancer-helpers.js';
import { next, until, within } from '../helpers.js';
import { type Load, startLoad } from '../load.js';
import { freePort, getOrder, OrdersClient, startOrdersBackend } from './orders.js';

const MAIN = fileURLToPath(new URL('../../examples/nestjs/main.js', import.meta.url));

describe('examples/nestjs: SIGTERM under load', { timeout: 60_000 }, () => {
  it('drains in beforeApplicationShutdown: 0 failed RPCs, exits after the drain, bounded', async (t) => {
    const drainMs = 500;
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN], {
      env: { ...process.env, PORT: String(port), DRAIN_MS: String(drainMs), NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const other = await startOrdersBackend('other');
    let client: OrdersClient | undefined;
    let watcher: HealthClient | undefined;
    let load: Load | undefined;
    try {
      await within(
        (async () => {
          while (!output.includes('orders listening')) await once(child.stdout, 'data');
        })(),
        20_000,
        'the Nest app to listen',
      );
      // A Watch held open across the shutdown, as a load balancer would keep one.
      watcher = new HealthClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
      const watch = watcher.watch('orders.Orders');
      assert.equal(await next(watch, 5000, 'the first Watch status'), 'SERVING');

      const calling = new OrdersClient(`ipv4:127.0.0.1:${port},${other.address}`, grpc.credentials.createInsecure(), {
        ...healthCheckChannelOptions('orders.Orders'),
        'grpc.use_local_subchannel_pool': 1,
      });
      client = calling;
      const byServer: Record<string, number> = {};
      load = startLoad(8, () => getOrder(calling), {
        signal: t.signal,
        onResult: (servedBy) => (byServer[servedBy] = (byServer[servedBy] ?? 0) + 1),
      });
      await healthSettles(
        (all) => all.filter((h) => h.state === 'SERVING' && h.address.endsWith(`:${port}`)).length === 1,
        10_000,
        'the Nest app SERVING to the balancer',
      );
      await until(() => (byServer.nest ?? 0) >= 100, 10_000, 'traffic on the Nest app');

      const nestBefore = byServer.nest ?? 0;
      const signalled = Date.now();
      child.kill('SIGTERM');
      assert.equal(await next(watch, 2000, 'NOT_SERVING on Watch'), 'NOT_SERVING');
      const [code, signal] = (await within(once(child, 'exit'), drainMs + 10_000, 'the Nest app to exit')) as [
        number | null,
        string | null,
      ];
      const exitedAfter = Date.now() - signalled;
      const okAtExit = load.ok;
      await until(() => load!.ok >= okAtExit + 200, 10_000, '200 more RPCs after the exit');
      await within(load.stop(), 10_000, 'the load to stop');
      const watchEnd = await within(watch.next(), 2000, 'the Watch to end').catch((error: Error) => error);

      t.diagnostic(
        `RPCs ok ${load.ok} (nest ${nestBefore} before SIGTERM, ${(byServer.nest ?? 0) - nestBefore} after; other ${byServer.other ?? 0}), failed ${load.failures.length}, exit ${exitedAfter} ms after SIGTERM (drain ${drainMs} ms)`,
      );
      // Nest re-raises the signal once its hooks are done: the exit is by SIGTERM.
      assert.ok(code === 0 || signal === 'SIGTERM', `exit code ${code}, signal ${signal}`);
      assert.deepEqual(load.failures, []);
      assert.ok(exitedAfter >= drainMs, `exited after ${exitedAfter} ms, before the drain`);
      assert.ok(exitedAfter < drainMs + 3000, `exited after ${exitedAfter} ms`);
      assert.match(output, /server stopped gracefully/);
      assert.ok(watchEnd instanceof Error, 'the Watch stream ends with an error status');
    } finally {
      // The load stops before the client closes: calls on a closed client fail at once.
      await load?.stop();
      client?.close();
      watcher?.close();
      child.kill('SIGKILL');
      other.stop();
    }
  });
});
