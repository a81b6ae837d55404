/**
 * Watch fan-out (issue 6, 2): 10,000 Watch streams from two client processes over
 * 20 connections on one server; after all have their first message, flip the
 * status and time until the last watcher has it (median and p99 over repeated
 * flips); server heap and RSS per watcher. For our server, grpc-health-check and
 * nice-grpc-server-health, each in a process of its own.
 */
import { JsonLineProcess, pause, printTable, quantile, saveResult } from './lib.js';

// ceiling: a bare grpc-js stream per watcher, written on each change (no registry, no coalescing).
const IMPLS = ['ceiling', 'ours', 'grpc-health-check', 'nice-grpc'] as const;

interface Mem {
  heap: number;
  rss: number;
  watchers: number | null;
}

/** Times flips to `watchers` Watch streams on one server of `impl` (see health-server-process). */
export async function measure(impl: string, watchers: number, flips: number) {
  const server = new JsonLineProcess('./fixtures/health-server-process.js', [impl], ['--expose-gc']);
  const { port } = await server.read<{ port: number }>();
  const clients: JsonLineProcess[] = [];
  try {
    await server.ask({ cmd: 'set', service: 'fan.Out', status: 'SERVING' });
    const before = await server.ask<Mem>({ cmd: 'mem' });
    const perClient = watchers / 2;
    for (let i = 0; i < 2; i++)
      clients.push(new JsonLineProcess('./fixtures/watch-clients-process.js', [String(port), String(perClient), '10', 'fan.Out']));
    await Promise.all(clients.map((client) => client.read<{ ready: number }>()));
    await pause(200);
    const after = await server.ask<Mem>({ cmd: 'mem' });
    const times: number[] = [];
    for (let i = 0; i < flips; i++) {
      const status = i % 2 === 0 ? 'NOT_SERVING' : 'SERVING';
      const arrivals = clients.map((client) => client.ask<{ lastAt: number }>({ cmd: 'expect', status: status === 'SERVING' ? 1 : 2 }));
      await pause(20); // let the clients start waiting
      const { at } = await server.ask<{ at: number }>({ cmd: 'set', service: 'fan.Out', status });
      const last = Math.max(...(await Promise.all(arrivals)).map((a) => a.lastAt));
      times.push(last - at);
      await pause(50);
    }
    return {
      flipMedianMs: quantile(times, 0.5),
      flipP99Ms: quantile(times, 0.99),
      flipsMs: times,
      heapPerWatcherBytes: (after.heap - before.heap) / watchers,
      rssPerWatcherBytes: (after.rss - before.rss) / watchers,
      serverWatchers: after.watchers,
    };
  } finally {
    for (const client of clients) client.stop();
    server.stop();
  }
}

/** Runs the benchmark; `quick` uses 1,000 watchers and 3 flips. */
export async function run({ quick }: { quick: boolean }): Promise<object> {
  const watchers = quick ? 1000 : 10_000;
  const flips = quick ? 3 : 20;
  const results: Record<string, Awaited<ReturnType<typeof measure>>> = {};
  for (const impl of IMPLS) results[impl] = await measure(impl, watchers, flips);
  const ceiling = results.ceiling!;
  const rows: (string | number)[][] = [
    ['server', 'watchers', 'flip median', 'flip p99', 'vs ceiling (median)', 'heap/watcher', 'RSS/watcher'],
  ];
  for (const impl of IMPLS) {
    const r = results[impl]!;
    rows.push([
      impl,
      watchers,
      `${r.flipMedianMs.toFixed(1)} ms`,
      `${r.flipP99Ms.toFixed(1)} ms`,
      (r.flipMedianMs / ceiling.flipMedianMs).toFixed(2),
      `${(r.heapPerWatcherBytes / 1024).toFixed(2)} KiB`,
      `${(r.rssPerWatcherBytes / 1024).toFixed(2)} KiB`,
    ]);
  }
  printTable(rows);
  const result = { watchers, flips, results };
  console.log(`results: ${saveResult(quick ? 'fanout.quick' : 'fanout', result)}`);
  return result;
}
