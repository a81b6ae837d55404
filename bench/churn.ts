/**
 * Churn (issue 6, 3): open and cancel many Watch streams, on unregistered names
 * (each one new) and on a registered service, in batches of 1,000; server heap and
 * watcher count before and after. Nothing may leak: the heap returns to its start.
 */
import { JsonLineProcess, pause, printTable, saveResult } from './lib.js';

const IMPLS = ['ours', 'grpc-health-check', 'nice-grpc'] as const;

interface Mem {
  heap: number;
  rss: number;
  watchers: number | null;
}

async function measure(impl: (typeof IMPLS)[number], total: number) {
  const server = new JsonLineProcess('./fixtures/health-server-process.js', [impl], ['--expose-gc']);
  const { port } = await server.read<{ port: number }>();
  const client = new JsonLineProcess('./fixtures/watch-clients-process.js', [String(port), '0', '4', '']);
  try {
    await client.read();
    await server.ask({ cmd: 'set', service: 'known.Known', status: 'SERVING' });
    const before = await server.ask<Mem>({ cmd: 'mem' });
    const unknown = await client.ask<{ opened: number; failed: number; ms: number }>({
      cmd: 'churn',
      total: total / 2,
      batch: 1000,
      prefix: 'gone.',
      fixed: false,
    });
    const known = await client.ask<{ opened: number; failed: number; ms: number }>({
      cmd: 'churn',
      total: total / 2,
      batch: 1000,
      prefix: 'known.Known',
      fixed: true,
    });
    // Let the server see the last cancels.
    let after = await server.ask<Mem>({ cmd: 'mem' });
    for (let waited = 0; (after.watchers ?? 0) > 0 && waited < 5000; waited += 100) {
      await pause(100);
      after = await server.ask<Mem>({ cmd: 'mem' });
    }
    await pause(300);
    after = await server.ask<Mem>({ cmd: 'mem' });
    return {
      streams: unknown.opened + known.opened,
      failedToOpen: unknown.failed + known.failed,
      seconds: (unknown.ms + known.ms) / 1000,
      heapBefore: before.heap,
      heapAfter: after.heap,
      heapGrowthBytes: after.heap - before.heap,
      heapGrowthPerStreamBytes: (after.heap - before.heap) / (unknown.opened + known.opened),
      watchersAfter: after.watchers,
    };
  } finally {
    client.stop();
    server.stop();
  }
}

/** Runs the benchmark; `quick` churns 4,000 streams instead of 100,000. */
export async function run({ quick }: { quick: boolean }): Promise<object> {
  const total = quick ? 4000 : 100_000;
  const results: Record<string, Awaited<ReturnType<typeof measure>>> = {};
  for (const impl of IMPLS) results[impl] = await measure(impl, total);
  const rows: (string | number)[][] = [['server', 'streams', 'seconds', 'heap before', 'heap after', 'growth/stream', 'watchers after']];
  for (const impl of IMPLS) {
    const r = results[impl]!;
    rows.push([
      impl,
      r.streams,
      r.seconds.toFixed(1),
      `${(r.heapBefore / 1048576).toFixed(2)} MiB`,
      `${(r.heapAfter / 1048576).toFixed(2)} MiB`,
      `${r.heapGrowthPerStreamBytes.toFixed(1)} B`,
      r.watchersAfter ?? 'n/a',
    ]);
  }
  printTable(rows);
  const result = { total, results };
  console.log(`results: ${saveResult(quick ? 'churn.quick' : 'churn', result)}`);
  return result;
}
