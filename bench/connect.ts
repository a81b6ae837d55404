/**
 * The Connect adapter (issue 12): Check throughput against a bare Connect handler
 * returning a constant reply, and Watch fan-out against our grpc-js adapter.
 *
 * Throughput: both servers in processes of their own (pinned to one core where
 * taskset exists), gRPC protocol over h2c, closed-loop Check from h2load or, where
 * it is missing, the Node load generator; paired rounds in alternating order, the
 * figure is the median of the per-round ratios. Fan-out: the fanout benchmark's
 * measurement, on the Connect adapter, on a bare Connect Watch generator (what
 * Connect itself costs per stream) and on grpc-js.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measure } from './fanout.js';
import { JsonLineProcess, printTable, quantile, saveResult } from './lib.js';
import { h2load, nodeLoad, writeCheckRequest } from './throughput.js';

const LEVEL = { inFlight: 16, connections: 4, streams: 4 };
const SERVERS = ['connect-bare', 'connect'] as const;

async function throughput(quick: boolean) {
  const haveH2load = !process.env.BENCH_NODE_LOAD && spawnSync('h2load', ['--version']).status === 0;
  const dir = mkdtempSync(join(tmpdir(), 'bench-connect-'));
  writeCheckRequest(dir);
  const servers = new Map<string, { process: JsonLineProcess; port: number }>();
  for (const impl of SERVERS) {
    const process = new JsonLineProcess('./fixtures/health-server-process.js', [impl], [], 1);
    servers.set(impl, { process, port: (await process.read<{ port: number }>()).port });
  }
  const rounds = quick ? 2 : 7;
  const seconds = quick ? 1 : 3;
  const rps: Record<string, number[]> = { 'connect-bare': [], connect: [] };
  const ratios: number[] = [];
  try {
    const load = (port: number) => (haveH2load ? h2load(port, LEVEL, seconds, 0, dir) : nodeLoad(port, LEVEL, seconds, 0)).rps;
    // Untimed warm-up of both, so JIT state does not favour the second.
    for (const { port } of servers.values()) load(port);
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? SERVERS : ([...SERVERS].reverse() as (typeof SERVERS)[number][]);
      const sample: Record<string, number> = {};
      for (const impl of order) sample[impl] = load(servers.get(impl)!.port);
      rps['connect-bare']!.push(sample['connect-bare']!);
      rps.connect!.push(sample.connect!);
      ratios.push(sample.connect! / sample['connect-bare']!);
    }
  } finally {
    for (const { process } of servers.values()) process.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    loadGenerator: haveH2load ? 'h2load' : 'node',
    inFlight: LEVEL.inFlight,
    rounds,
    seconds,
    bareRps: quantile(rps['connect-bare']!, 0.5),
    adapterRps: quantile(rps.connect!, 0.5),
    ratio: quantile(ratios, 0.5),
    ratios,
  };
}

/** Runs the benchmark; `quick` runs 2 short rounds and 1,000 watchers. */
export async function run({ quick }: { quick: boolean }): Promise<object> {
  const check = await throughput(quick);
  printTable([
    ['Check, gRPC over h2c', 'in flight', 'RPC/s (median)', 'load generator'],
    ['bare Connect handler', check.inFlight, check.bareRps.toFixed(0), check.loadGenerator],
    ['grpc-health-kit/connect', check.inFlight, check.adapterRps.toFixed(0), check.loadGenerator],
    ['ratio (median of paired rounds)', '', check.ratio.toFixed(3), `rounds: ${check.ratios.map((r) => r.toFixed(3)).join(' ')}`],
  ]);
  const watchers = quick ? 1000 : 10_000;
  const flips = quick ? 3 : 20;
  const fanout: Record<string, Awaited<ReturnType<typeof measure>>> = {};
  for (const impl of ['ours', 'connect-bare', 'connect']) fanout[impl] = await measure(impl, watchers, flips);
  const rows: (string | number)[][] = [['Watch fan-out', 'watchers', 'flip median', 'flip p99', 'heap/watcher', 'RSS/watcher']];
  for (const [impl, r] of Object.entries(fanout)) {
    rows.push([
      { ours: 'grpc-js adapter', 'connect-bare': 'bare Connect generator', connect: 'Connect adapter' }[impl]!,
      watchers,
      `${r.flipMedianMs.toFixed(1)} ms`,
      `${r.flipP99Ms.toFixed(1)} ms`,
      `${(r.heapPerWatcherBytes / 1024).toFixed(2)} KiB`,
      `${(r.rssPerWatcherBytes / 1024).toFixed(2)} KiB`,
    ]);
  }
  printTable(rows);
  const result = { check, fanout: { watchers, flips, results: fanout } };
  console.log(`results: ${saveResult(quick ? 'connect.quick' : 'connect', result)}`);
  return result;
}
