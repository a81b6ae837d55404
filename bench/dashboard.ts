/**
 * Dashboard at scale: `grpc-health dashboard` (the shipped CLI, in its own
 * process) watching 1,000 backends (health servers on 1,000 ports in another
 * process). Measures the dashboard's memory per watched backend (RSS against the
 * same dashboard watching one), its CPU at rest (default 5 s Check round-trip
 * probes included), and the time from setStatus on one backend to the change
 * arriving at the page: as an SSE event, and, where Chromium is installed, in
 * the page's DOM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { haveChromium, launchChromium } from '../test/dashboard/chromium.js';
import { JsonLineProcess, pause, printTable, processCpuMs, quantile, saveResult } from './lib.js';

const CLI = fileURLToPath(new URL('../cli/grpc-health.mjs', import.meta.url));

function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

function fetchJson<T>(url: string): Promise<T> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve(JSON.parse(body) as T));
    }).on('error', reject);
  });
}

interface Dashboard {
  child: ChildProcess;
  url: string;
  stop(): void;
}

async function startDashboard(ports: number[]): Promise<Dashboard> {
  const file = join(mkdtempSync(join(tmpdir(), 'bench-fleet-')), 'targets.txt');
  writeFileSync(file, ports.map((port) => `127.0.0.1:${port}`).join('\n'));
  const child = spawn(
    process.execPath,
    [CLI, 'dashboard', '-targets-file', file, '-port', '0', ...(process.env.BENCH_DASHBOARD_ARGS ?? '').split(' ').filter(Boolean)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /dashboard on (http:\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.on('exit', (code) => reject(new Error(`dashboard exited ${code}`)));
  });
  return { child, url, stop: () => child.kill('SIGTERM') };
}

async function settled(dashboard: Dashboard, count: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const state = await fetchJson<{ counts: Record<string, number> }>(`${dashboard.url}api/state`);
    if (state.counts.SERVING === count) return performance.now() - started;
    if (performance.now() - started > 120_000) throw new Error(`only ${state.counts.SERVING} of ${count} SERVING after 120 s`);
    await pause(100);
  }
}

/** Opens the dashboard's event stream; `waitFor` resolves when an update shows `address` with `status`. */
function events(url: string) {
  const waiters = new Set<{ address: string; status: string; resolve: (at: number) => void }>();
  let buffer = '';
  const request = get(`${url}events`, (response) => {
    response.setEncoding('utf8').on('data', (chunk: string) => {
      const at = performance.timeOrigin + performance.now();
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (!block.startsWith('event: update')) continue;
        const update = JSON.parse(block.slice(block.indexOf('data: ') + 6)) as {
          backends: { address: string; cells: Record<string, { status: string }> }[];
        };
        for (const backend of update.backends) {
          for (const waiter of waiters) {
            if (waiter.address === backend.address && backend.cells['']?.status === waiter.status) {
              waiters.delete(waiter);
              waiter.resolve(at);
            }
          }
        }
      }
    });
  });
  return {
    waitFor: (address: string, status: string) => new Promise<number>((resolve) => waiters.add({ address, status, resolve })),
    close: () => request.destroy(),
  };
}

async function flipLatencies(
  backends: JsonLineProcess,
  ports: number[],
  flips: number,
  observe: (address: string, status: string) => Promise<number>,
) {
  const latencies: number[] = [];
  for (let i = 0; i < flips; i += 1) {
    const index = Math.floor(Math.random() * ports.length);
    const address = `127.0.0.1:${ports[index]}`;
    for (const status of ['NOT_SERVING', 'SERVING']) {
      // A status flip is a rare event: apart from the one before by more than the page's 25 ms batching.
      await pause(100);
      const seen = observe(address, status);
      const { at } = await backends.ask<{ at: number }>({ cmd: 'set', backend: index, service: '', status });
      latencies.push((await seen) - at);
    }
  }
  return latencies;
}

async function domLatencies(url: string, backends: JsonLineProcess, ports: number[], flips: number): Promise<number[] | undefined> {
  if (!haveChromium()) return undefined;
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForSelector(`td[data-status="SERVING"] >> nth=${ports.length - 1}`, { timeout: 60_000 });
    return await flipLatencies(backends, ports, flips, async (address, status) => {
      await page.waitForSelector(`tr[data-backend="${address}"] td[data-status="${status}"]`, { timeout: 10_000 });
      return performance.timeOrigin + performance.now();
    });
  } finally {
    await browser.close();
  }
}

/** Runs the benchmark; `quick` watches 100 backends instead of 1,000. */
export async function run({ quick }: { quick: boolean }): Promise<object> {
  const count = quick ? 100 : 1000;
  const flips = quick ? 5 : 20;
  const restSeconds = quick ? 3 : 10;
  const backends = new JsonLineProcess('./fixtures/backends-process.js', [String(count)]);
  const { ports } = await backends.read<{ ports: number[] }>();
  try {
    const one = await startDashboard(ports.slice(0, 1));
    await settled(one, 1);
    await pause(1000);
    const rssOne = rssBytes(one.child.pid!);
    one.stop();

    const fleet = await startDashboard(ports);
    const settleMs = await settled(fleet, count);
    await pause(2000);
    const rssAll = rssBytes(fleet.child.pid!);
    const cpuBefore = processCpuMs(fleet.child.pid!);
    await pause(restSeconds * 1000);
    const restCpuPercent = ((processCpuMs(fleet.child.pid!) - cpuBefore) / (restSeconds * 1000)) * 100;

    const stream = events(fleet.url);
    await pause(500);
    const sse = await flipLatencies(backends, ports, flips, (address, status) => stream.waitFor(address, status));
    stream.close();
    const dom = await domLatencies(fleet.url, backends, ports, flips);
    fleet.stop();

    const result = {
      backends: count,
      settleSeconds: settleMs / 1000,
      rssOneBackendMiB: rssOne / 2 ** 20,
      rssAllMiB: rssAll / 2 ** 20,
      rssPerBackendKiB: (rssAll - rssOne) / (count - 1) / 1024,
      restCpuPercentOfOneCore: restCpuPercent,
      sseLatencyMs: { median: quantile(sse, 0.5), p99: quantile(sse, 0.99), samples: sse.length },
      domLatencyMs: dom && { median: quantile(dom, 0.5), p99: quantile(dom, 0.99), samples: dom.length },
    };
    printTable([
      ['backends', 'settle', 'RSS 1 / all', 'per backend', 'CPU at rest', 'flip→SSE p50/p99', 'flip→DOM p50/p99'],
      [
        count,
        `${result.settleSeconds.toFixed(1)} s`,
        `${result.rssOneBackendMiB.toFixed(0)} / ${result.rssAllMiB.toFixed(0)} MiB`,
        `${result.rssPerBackendKiB.toFixed(1)} KiB`,
        `${restCpuPercent.toFixed(1)} %`,
        `${result.sseLatencyMs.median.toFixed(1)} / ${result.sseLatencyMs.p99.toFixed(1)} ms`,
        dom ? `${result.domLatencyMs!.median.toFixed(1)} / ${result.domLatencyMs!.p99.toFixed(1)} ms` : 'no Chromium',
      ],
    ]);
    console.log(`wrote ${saveResult(quick ? 'dashboard.quick' : 'dashboard', result)}`);
    return result;
  } finally {
    backends.stop();
  }
}
