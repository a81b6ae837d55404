/**
 * Check throughput (issue 6, 1): closed-loop unary Check at 1, 16 and 128 in
 * flight, from h2load (a C load generator in its own process), against four
 * servers each in a process of its own: a constant grpc-js unary handler (the
 * ceiling), our HealthServer, grpc-health-check and nice-grpc-server-health.
 * Prints RPC/s, p50/p99 latency and the ratio to the ceiling; writes an SVG chart.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HealthService } from '../src/index.js';
import { HAS_TASKSET, JsonLineProcess, printTable, quantile, saveResult } from './lib.js';

export const IMPLEMENTATIONS = ['ceiling', 'ours', 'grpc-health-check', 'nice-grpc'] as const;
type Impl = (typeof IMPLEMENTATIONS)[number];
const LEVELS = [
  { inFlight: 1, connections: 1, streams: 1 },
  { inFlight: 16, connections: 4, streams: 4 },
  { inFlight: 128, connections: 4, streams: 32 },
];

interface Sample {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  serverCpuMs: number;
  loadCpuMs: number;
  seconds: number;
}

/** How much load: connections × streams each = requests in flight. */
export type LoadLevel = (typeof LEVELS)[number];

/** Writes `dir/check.bin`: one framed, empty Check request (gRPC framing: flag byte, length, message), h2load's body. */
export function writeCheckRequest(dir: string): void {
  const request = HealthService.check.requestSerialize({ service: '' });
  const frame = Buffer.alloc(5 + request.length);
  frame.writeUInt32BE(request.length, 1);
  request.copy(frame, 5);
  writeFileSync(join(dir, 'check.bin'), frame);
}

/** Where h2load is missing: the same closed loop from a Node process (slower, so the ceiling drops; ratios still compare). */
export function nodeLoad(port: number, level: LoadLevel, seconds: number, warmup: number): Omit<Sample, 'serverCpuMs'> {
  const script = fileURLToPath(new URL('./fixtures/check-load-process.js', import.meta.url));
  const args = [script, String(port), String(level.connections), String(level.streams), String(seconds), String(warmup)];
  const command = HAS_TASKSET ? ['taskset', '-c', '0', process.execPath, ...args] : [process.execPath, ...args];
  const run = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`load generator failed: ${run.stderr}`);
  const { rps, p50Ms, p99Ms, cpuMs } = JSON.parse(run.stdout) as { rps: number; p50Ms: number; p99Ms: number; cpuMs: number };
  return { rps, p50Ms, p99Ms, loadCpuMs: cpuMs, seconds };
}

/** Closed-loop Check from h2load against `port`, with `dir/check.bin` (see {@link writeCheckRequest}) as the body. */
export function h2load(port: number, level: LoadLevel, seconds: number, warmup: number, dir: string): Omit<Sample, 'serverCpuMs'> {
  const body = join(dir, 'check.bin');
  const log = join(dir, 'latency.log');
  rmSync(log, { force: true });
  const args = [
    '-f',
    '%U %S',
    'h2load',
    '-D',
    String(seconds),
    `--warm-up-time=${warmup}`,
    '-c',
    String(level.connections),
    '-m',
    String(level.streams),
    '-t',
    '1',
    '-H',
    'content-type: application/grpc',
    '-H',
    'te: trailers',
    '-d',
    body,
    `--log-file=${log}`,
    `http://127.0.0.1:${port}/grpc.health.v1.Health/Check`,
  ];
  const command = HAS_TASKSET ? ['taskset', '-c', '0', '/usr/bin/time', ...args] : ['/usr/bin/time', ...args];
  const run = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8' });
  const out = run.stdout;
  const rps = Number(/finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(out)?.[1]);
  const succeeded = Number(/(\d+) succeeded/.exec(out)?.[1]);
  const failed = Number(/(\d+) failed/.exec(out)?.[1]);
  if (!Number.isFinite(rps) || succeeded === 0 || failed > 0) throw new Error(`h2load run failed:\n${out}\n${run.stderr}`);
  const [user, system] = run.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  const latencies = readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((line) => Number(line.split('\t')[2]) / 1000);
  return { rps, p50Ms: quantile(latencies, 0.5), p99Ms: quantile(latencies, 0.99), loadCpuMs: (user! + system!) * 1000, seconds };
}

/** A line chart of RPC/s against concurrency, one line per server. */
function chart(results: Record<Impl, Sample[]>): string {
  const width = 640;
  const height = 360;
  const left = 70;
  const bottom = 40;
  const top = 30;
  const right = 170;
  const max =
    Math.max(
      ...Object.values(results)
        .flat()
        .map((s) => s.rps),
    ) * 1.1;
  const x = (i: number) => left + (i * (width - left - right)) / (LEVELS.length - 1);
  const y = (rps: number) => height - bottom - ((height - bottom - top) * rps) / max;
  const colors: Record<Impl, string> = { ceiling: '#888', ours: '#0a7', 'grpc-health-check': '#37c', 'nice-grpc': '#c63' };
  const names: Record<Impl, string> = {
    ceiling: 'empty handler (ceiling)',
    ours: 'grpc-health-kit',
    'grpc-health-check': 'grpc-health-check',
    'nice-grpc': 'nice-grpc-server-health',
  };
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="18" font-size="14">Check RPC/s by requests in flight (higher is better)</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const value = (max * i) / 4;
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${y(value)}" y2="${y(value)}" stroke="#eee"/>`);
    parts.push(`<text x="${left - 8}" y="${y(value) + 4}" text-anchor="end">${Math.round(value / 1000)}k</text>`);
  }
  LEVELS.forEach((level, i) => parts.push(`<text x="${x(i)}" y="${height - bottom + 18}" text-anchor="middle">${level.inFlight}</text>`));
  parts.push(`<text x="${(left + width - right) / 2}" y="${height - 6}" text-anchor="middle">requests in flight</text>`);
  IMPLEMENTATIONS.forEach((impl, row) => {
    const points = results[impl].map((s, i) => `${x(i)},${y(s.rps)}`).join(' ');
    parts.push(`<polyline points="${points}" fill="none" stroke="${colors[impl]}" stroke-width="2.5"/>`);
    for (const [i, s] of results[impl].entries()) parts.push(`<circle cx="${x(i)}" cy="${y(s.rps)}" r="3.5" fill="${colors[impl]}"/>`);
    parts.push(`<rect x="${width - right + 15}" y="${top + row * 22}" width="12" height="12" fill="${colors[impl]}"/>`);
    parts.push(`<text x="${width - right + 32}" y="${top + row * 22 + 11}">${names[impl]}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** Runs the benchmark; `quick` runs each point once, briefly. */
export async function run({ quick }: { quick: boolean }): Promise<object> {
  const haveH2load = !process.env.BENCH_NODE_LOAD && spawnSync('h2load', ['--version']).status === 0;
  if (!haveH2load) {
    console.log('h2load not found (apt-get install nghttp2-client): using a Node load generator, which is slower than');
    console.log('any of the servers: the load CPU column shows it is the limit, so these ratios say little.');
  }
  const dir = mkdtempSync(join(tmpdir(), 'bench-throughput-'));
  writeCheckRequest(dir);

  const servers = new Map<Impl, { process: JsonLineProcess; port: number }>();
  for (const impl of IMPLEMENTATIONS) {
    const process = new JsonLineProcess('./fixtures/health-server-process.js', [impl], [], 1);
    servers.set(impl, { process, port: (await process.read<{ port: number }>()).port });
  }
  const rounds = quick ? 1 : 5;
  const seconds = quick ? 1 : 3;
  const warmup = quick ? 0 : 1; // h2load takes whole seconds
  const samples = new Map<string, Sample[]>();
  try {
    for (let round = 0; round < rounds; round++) {
      for (const level of LEVELS) {
        // Rotate the order each round, so drift favours no one.
        const order = IMPLEMENTATIONS.map((_, i) => IMPLEMENTATIONS[(i + round) % IMPLEMENTATIONS.length]!);
        for (const impl of order) {
          const { process, port } = servers.get(impl)!;
          const before = (await process.ask<{ cpuMs: number }>({ cmd: 'cpu' })).cpuMs;
          const sample = haveH2load ? h2load(port, level, seconds, warmup, dir) : nodeLoad(port, level, seconds, warmup);
          const after = (await process.ask<{ cpuMs: number }>({ cmd: 'cpu' })).cpuMs;
          const key = `${impl}/${level.inFlight}`;
          samples.set(key, [...(samples.get(key) ?? []), { ...sample, serverCpuMs: after - before }]);
        }
      }
    }
  } finally {
    for (const { process } of servers.values()) process.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  const median = (impl: Impl, inFlight: number): Sample => {
    const list = samples.get(`${impl}/${inFlight}`)!;
    const rps = quantile(
      list.map((s) => s.rps),
      0.5,
    );
    return list.find((s) => s.rps === rps)!;
  };
  const results = Object.fromEntries(IMPLEMENTATIONS.map((impl) => [impl, LEVELS.map((l) => median(impl, l.inFlight))])) as Record<
    Impl,
    Sample[]
  >;
  const rows: (string | number)[][] = [['server', 'in flight', 'RPC/s', 'vs ceiling', 'p50 ms', 'p99 ms', 'server CPU', 'load CPU']];
  for (const impl of IMPLEMENTATIONS) {
    for (const [i, level] of LEVELS.entries()) {
      const s = results[impl][i]!;
      const ceiling = results.ceiling[i]!.rps;
      rows.push([
        impl,
        level.inFlight,
        s.rps.toFixed(0),
        (s.rps / ceiling).toFixed(3),
        s.p50Ms.toFixed(3),
        s.p99Ms.toFixed(3),
        `${((s.serverCpuMs / (s.seconds * 1000 + warmup * 1000)) * 100).toFixed(0)}%`,
        `${((s.loadCpuMs / ((haveH2load ? s.seconds + warmup : s.seconds) * 1000)) * 100).toFixed(0)}%`,
      ]);
    }
  }
  printTable(rows);
  const svg = fileURLToPath(new URL('../../bench/charts/throughput.svg', import.meta.url));
  if (!quick) {
    (await import('node:fs')).mkdirSync(fileURLToPath(new URL('../../bench/charts/', import.meta.url)), { recursive: true });
    writeFileSync(svg, chart(results));
    console.log(`chart: ${svg}`);
  }
  const result = {
    loadGenerator: haveH2load ? 'h2load' : 'node',
    levels: LEVELS,
    rounds,
    seconds,
    results,
    samples: Object.fromEntries(samples),
  };
  console.log(`results: ${saveResult(quick ? 'throughput.quick' : 'throughput', result)}`);
  return result;
}
