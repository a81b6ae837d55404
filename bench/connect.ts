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
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HealthService } from '../src/index.js';
import { measure } from './fanout.js';
import { HAS_TASKSET, JsonLineProcess, printTable, quantile, saveResult } from './lib.js';

const LEVEL = { inFlight: 16, connections: 4, streams: 4 };
const SERVERS = ['connect-bare', 'connect'] as const;

function h2loadRps(port: number, seconds: number, body: string): number {
  const args = [
    'h2load',
    '-D',
    String(seconds),
    '-c',
    String(LEVEL.connections),
    '-m',
    String(LEVEL.streams),
    '-t',
    '1',
    '-H',
    'content-type: application/grpc',
    '-H',
    'te: trailers',
    '-d',
    body,
    `http://127.0.0.1:${port}/grpc.health.v1.Health/Check`,
  ];
  const command = HAS_TASKSET ? ['taskset', '-c', '0', ...args] : args;
  const run = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8' });
  const rps = Number(/finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(run.stdout)?.[1]);
  const failed = Number(/(\d+) failed/.exec(run.stdout)?.[1]);
  if (!Number.isFinite(rps) || failed > 0) throw new Error(`h2load run failed:\n${run.stdout}\n${run.stderr}`);
  return rps;
}

function nodeLoadRps(port: number, seconds: number): number {
  const script = fileURLToPath(new URL('./fixtures/check-load-process.js', import.meta.url));
  const args = [script, String(port), String(LEVEL.connections), String(LEVEL.streams), String(seconds), '0'];
  const command = HAS_TASKSET ? ['taskset', '-c', '0', process.execPath, ...args] : [process.execPath, ...args];
  const run = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`load generator failed: ${run.stderr}`);
  return (JSON.parse(run.stdout) as { rps: number }).rps;
}

async function throughput(quick: boolean) {
  const haveH2load = !process.env.BENCH_NODE_LOAD && spawnSync('h2load', ['--version']).status === 0;
  const dir = mkdtempSync(join(tmpdir(), 'bench-connect-'));
  const request = HealthService.check.requestSerialize({ service: '' });
  const frame = Buffer.alloc(5 + request.length);
  frame.writeUInt32BE(request.length, 1);
  request.copy(frame, 5);
  const body = join(dir, 'check.bin');
  writeFileSync(body, frame);
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
    const load = (port: number) => (haveH2load ? h2loadRps(port, seconds, body) : nodeLoadRps(port, seconds));
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
