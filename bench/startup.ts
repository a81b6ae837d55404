/**
 * Start-up cost of one `grpc-health check` against a live server, as a ratio to
 * the floor for any Node probe: a raw `node:http2` Check (raw-check.ts), measured
 * in the same rounds, in plaintext and over TLS (verifying the server against a
 * CA file). Each round runs, interleaved: `node -e 0`, the raw floor, the CLI's bin
 * with Node's compile cache warm (what every probe after the first gets), and the
 * CLI with the compile cache off. CPU time (user + system) and peak RSS, read by
 * the child at exit, are the figures; wall time is printed for context.
 *
 * `npm run bench -- startup [--quick] [--node=/path/to/node]... [--cli=/path/to/grpc-health.mjs]`
 * runs it under each given Node (default: the one running the bench), against the
 * given CLI bundle (default: this build's; another one measures an older build).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JsonLineProcess, printTable, quantile, saveResult } from './lib.js';

const RAW = fileURLToPath(new URL('./raw-check.js', import.meta.url));
/** Loaded with --import in every measured process: writes "<CPU ms> <peak RSS KiB>" to fd 3 at exit. */
const USAGE_AT_EXIT = `data:text/javascript,${encodeURIComponent(
  "import { writeSync } from 'node:fs'; process.on('exit', () => { const u = process.resourceUsage(); writeSync(3, `${(u.userCPUTime + u.systemCPUTime) / 1000} ${u.maxRSS}`); });",
)}`;

interface Sample {
  cpuMs: number;
  rssMiB: number;
  wallMs: number;
}

function measure(node: string, args: string[], env: NodeJS.ProcessEnv): Sample {
  const started = performance.now();
  const result = spawnSync(node, ['--import', USAGE_AT_EXIT, ...args], { env, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  const wallMs = performance.now() - started;
  if (result.status !== 0) throw new Error(`${node} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  const [cpuMs, rssKiB] = result.output[3]!.toString().split(' ').map(Number);
  return { cpuMs: cpuMs!, rssMiB: rssKiB! / 1024, wallMs };
}

/** A self-signed certificate for 127.0.0.1 (openssl), for the TLS rounds. */
function makeCertificate(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'server.pem');
  const key = join(dir, 'server.key');
  const subject = ['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', ...subject, '-keyout', key, '-out', cert], {
    stdio: 'pipe',
  });
  return { cert, key };
}

interface Target {
  /** `plaintext` or `TLS`. */
  transport: string;
  addr: string;
  /** The CA file (the server's own certificate) for TLS. */
  ca?: string;
}

/** One Node version and one transport: medians and the paired ratios to the raw floor. */
function runOn(node: string, cli: string, target: Target, rounds: number) {
  const version = spawnSync(node, ['--version']).stdout.toString().trim();
  const cacheDir = mkdtempSync(join(tmpdir(), 'grpc-health-bench-cache-'));
  const base: NodeJS.ProcessEnv = { ...process.env, NODE_COMPILE_CACHE: cacheDir };
  delete base.NODE_DISABLE_COMPILE_CACHE;
  const checkArgs = [cli, '-addr', target.addr, ...(target.ca ? ['-tls', '-tls-ca-cert', target.ca] : [])];
  const variants = {
    'node -e 0': () => measure(node, ['-e', '0'], base),
    'raw node:http2 Check (floor)': () => measure(node, [RAW, target.addr, ...(target.ca ? [target.ca] : [])], base),
    'grpc-health check (compile cache warm)': () => measure(node, checkArgs, base),
    'grpc-health check (no compile cache)': () => measure(node, checkArgs, { ...base, NODE_DISABLE_COMPILE_CACHE: '1' }),
  };
  try {
    variants['grpc-health check (compile cache warm)'](); // fills the cache
    const samples = Object.fromEntries(Object.keys(variants).map((name) => [name, [] as Sample[]]));
    for (let i = 0; i < rounds; i++) for (const [name, run] of Object.entries(variants)) samples[name]!.push(run());
    const floor = samples['raw node:http2 Check (floor)']!;
    const median = (list: Sample[], of: (s: Sample, round: number) => number) => quantile(list.map(of), 0.5);
    const rows = Object.entries(samples).map(([name, list]) => ({
      name,
      cpuMs: median(list, (s) => s.cpuMs),
      rssMiB: median(list, (s) => s.rssMiB),
      wallMs: median(list, (s) => s.wallMs),
      // Medians of the per-round ratios: drift on a busy machine hits both alike.
      cpuRatioToFloor: median(list, (s, round) => s.cpuMs / floor[round]!.cpuMs),
      rssRatioToFloor: median(list, (s, round) => s.rssMiB / floor[round]!.rssMiB),
    }));
    return { node: version, transport: target.transport, cli, rounds, rows, samples };
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

/** Runs the benchmark; `quick` takes fewer rounds. */
export async function run({ quick }: { quick: boolean }): Promise<object> {
  const option = (name: string) => process.argv.filter((arg) => arg.startsWith(`--${name}=`)).map((arg) => arg.slice(name.length + 3));
  const nodes = option('node');
  const cli = option('cli')[0] ?? fileURLToPath(new URL('../cli/grpc-health.mjs', import.meta.url));
  const certDir = mkdtempSync(join(tmpdir(), 'grpc-health-bench-tls-'));
  const { cert, key } = makeCertificate(certDir);
  const plain = new JsonLineProcess('./fixtures/backends-process.js', ['1']);
  const tls = new JsonLineProcess('./fixtures/tls-health-process.js', [cert, key]);
  try {
    const { ports } = await plain.read<{ ports: number[] }>();
    const { port } = await tls.read<{ port: number }>();
    const targets: Target[] = [
      { transport: 'plaintext', addr: `127.0.0.1:${ports[0]}` },
      { transport: 'TLS', addr: `127.0.0.1:${port}`, ca: cert },
    ];
    const results = [];
    for (const node of nodes.length > 0 ? nodes : [process.execPath]) {
      for (const target of targets) {
        const result = runOn(node, cli, target, quick ? 7 : 31);
        console.log(`\nNode ${result.node}, ${result.transport}, ${result.rounds} rounds`);
        printTable([
          ['startup', 'CPU median', 'CPU ratio to the floor', 'peak RSS median', 'RSS ratio', 'wall median'],
          ...result.rows.map((row) => [
            row.name,
            `${row.cpuMs.toFixed(1)} ms`,
            row.cpuRatioToFloor.toFixed(2),
            `${row.rssMiB.toFixed(1)} MiB`,
            row.rssRatioToFloor.toFixed(2),
            `${row.wallMs.toFixed(1)} ms`,
          ]),
        ]);
        results.push(result);
      }
    }
    console.log(`results: ${saveResult(quick ? 'startup.quick' : 'startup', { results })}`);
    return { results };
  } finally {
    plain.stop();
    tls.stop();
    rmSync(certDir, { recursive: true, force: true });
  }
}
