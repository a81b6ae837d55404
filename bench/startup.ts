/**
 * Start-up cost of the CLI (issue 4): median wall time of `grpc-health check`
 * against a live server, as a ratio to `node -e 0` measured in the same run.
 * The bundled CLI (what `bin` points at) and the unbundled build are both timed.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { JsonLineProcess, printTable, quantile, saveResult } from './lib.js';

const BUNDLED = fileURLToPath(new URL('../cli/grpc-health.mjs', import.meta.url));
const UNBUNDLED = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

function timeRuns(args: string[], runs: number): number[] {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const result = spawnSync(process.execPath, args, { stdio: 'ignore' });
    times.push(performance.now() - started);
    if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}`);
  }
  return times;
}

/** Runs the benchmark; `quick` takes fewer samples. */
export async function run({ quick }: { quick: boolean }): Promise<object> {
  const server = new JsonLineProcess('./fixtures/backends-process.js', ['1']);
  const { ports } = await server.read<{ ports: number[] }>();
  const addr = `127.0.0.1:${ports[0]}`;
  try {
    const runs = quick ? 5 : 31;
    // Interleave the three so drift hits each alike.
    const node: number[] = [];
    const bundled: number[] = [];
    const unbundled: number[] = [];
    for (let i = 0; i < runs; i++) {
      node.push(...timeRuns(['-e', '0'], 1));
      bundled.push(...timeRuns([BUNDLED, 'check', '-addr', addr], 1));
      unbundled.push(...timeRuns([UNBUNDLED, 'check', '-addr', addr], 1));
    }
    const base = quantile(node, 0.5);
    const median = { node: base, bundled: quantile(bundled, 0.5), unbundled: quantile(unbundled, 0.5) };
    printTable([
      ['startup', 'median', 'ratio to node -e 0'],
      ['node -e 0', `${median.node.toFixed(1)} ms`, '1.00'],
      ['grpc-health check (bundled, bin)', `${median.bundled.toFixed(1)} ms`, (median.bundled / base).toFixed(2)],
      ['grpc-health check (unbundled)', `${median.unbundled.toFixed(1)} ms`, (median.unbundled / base).toFixed(2)],
    ]);
    const result = { runs, medianMs: median, ratio: { bundled: median.bundled / base, unbundled: median.unbundled / base }, samplesMs: { node, bundled, unbundled } };
    console.log(`results: ${saveResult(quick ? 'startup.quick' : 'startup', result)}`);
    return result;
  } finally {
    server.stop();
  }
}
