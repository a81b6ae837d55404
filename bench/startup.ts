/**
 * Start-up cost of one `grpc-health check` against a live server, as a ratio to
 * the floor for any Node probe: a raw `node:http2` Check (raw-check.ts), measured
 * in the same rounds. Each round runs, interleaved: `node -e 0`, the raw floor,
 * the CLI's bin with Node's compile cache warm (what every probe after the first
 * gets), and the CLI with the compile cache off. CPU time (user + system, read by
 * the child at exit) is the main figure; wall time is printed for context.
 *
 * `npm run bench -- startup [--quick] [--node=/path/to/node]...` runs it under each
 * given Node (default: the one running the bench).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JsonLineProcess, printTable, quantile, saveResult } from './lib.js';

const BIN = fileURLToPath(new URL('../cli/grpc-health.mjs', import.meta.url));
const RAW = fileURLToPath(new URL('./raw-check.js', import.meta.url));
/** Loaded with --import in every measured process: writes its CPU time to fd 3 at exit. */
const CPU_AT_EXIT = `data:text/javascript,${encodeURIComponent(
  "import { writeSync } from 'node:fs'; process.on('exit', () => { const u = process.cpuUsage(); writeSync(3, String((u.user + u.system) / 1000)); });",
)}`;

interface Sample {
  cpuMs: number;
  wallMs: number;
}

function measure(node: string, args: string[], env: NodeJS.ProcessEnv): Sample {
  const started = performance.now();
  const result = spawnSync(node, ['--import', CPU_AT_EXIT, ...args], { env, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  const wallMs = performance.now() - started;
  if (result.status !== 0) throw new Error(`${node} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return { cpuMs: Number(result.output[3]!.toString()), wallMs };
}

/** One Node version: medians and the paired ratios to the raw floor. */
function runOn(node: string, addr: string, rounds: number) {
  const version = spawnSync(node, ['--version']).stdout.toString().trim();
  const cacheDir = mkdtempSync(join(tmpdir(), 'grpc-health-bench-cache-'));
  const base: NodeJS.ProcessEnv = { ...process.env, NODE_COMPILE_CACHE: cacheDir };
  delete base.NODE_DISABLE_COMPILE_CACHE;
  const variants = {
    'node -e 0': () => measure(node, ['-e', '0'], base),
    'raw node:http2 Check (floor)': () => measure(node, [RAW, addr], base),
    'grpc-health check (compile cache warm)': () => measure(node, [BIN, '-addr', addr], base),
    'grpc-health check (no compile cache)': () => measure(node, [BIN, '-addr', addr], { ...base, NODE_DISABLE_COMPILE_CACHE: '1' }),
  };
  try {
    variants['grpc-health check (compile cache warm)'](); // fills the cache
    const samples = Object.fromEntries(Object.keys(variants).map((name) => [name, [] as Sample[]]));
    for (let i = 0; i < rounds; i++) for (const [name, run] of Object.entries(variants)) samples[name]!.push(run());
    const floor = samples['raw node:http2 Check (floor)']!;
    const rows = Object.entries(samples).map(([name, list]) => ({
      name,
      cpuMs: quantile(
        list.map((s) => s.cpuMs),
        0.5,
      ),
      wallMs: quantile(
        list.map((s) => s.wallMs),
        0.5,
      ),
      // Median of the per-round ratios: drift on a busy machine hits both alike.
      cpuRatioToFloor: quantile(
        list.map((s, round) => s.cpuMs / floor[round]!.cpuMs),
        0.5,
      ),
    }));
    return { node: version, rounds, rows, samples };
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

/** Runs the benchmark; `quick` takes fewer rounds. */
export async function run({ quick }: { quick: boolean }): Promise<object> {
  const nodes = process.argv.filter((arg) => arg.startsWith('--node=')).map((arg) => arg.slice('--node='.length));
  const server = new JsonLineProcess('./fixtures/backends-process.js', ['1']);
  const { ports } = await server.read<{ ports: number[] }>();
  const addr = `127.0.0.1:${ports[0]}`;
  try {
    const results = [];
    for (const node of nodes.length > 0 ? nodes : [process.execPath]) {
      const result = runOn(node, addr, quick ? 7 : 31);
      console.log(`\nNode ${result.node}, ${result.rounds} rounds`);
      printTable([
        ['startup', 'CPU median', 'wall median', 'CPU ratio to the raw floor (paired median)'],
        ...result.rows.map((row) => [
          row.name,
          `${row.cpuMs.toFixed(1)} ms`,
          `${row.wallMs.toFixed(1)} ms`,
          row.cpuRatioToFloor.toFixed(2),
        ]),
      ]);
      results.push(result);
    }
    console.log(`results: ${saveResult(quick ? 'startup.quick' : 'startup', { results })}`);
    return { results };
  } finally {
    server.stop();
  }
}
