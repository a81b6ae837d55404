/**
 * Dashboard at scale: `grpc-health dashboard` (the shipped CLI, in its own
 * process) watching 1,000 and 5,000 backends (health servers on as many ports of
 * 127.0.0.1, in another process; `--quick`: 100 and 500). For each size: the
 * dashboard's memory per watched backend (RSS against the same dashboard watching
 * one), its CPU at rest (default 5 s Check round-trip probes included), the time
 * from setStatus on one backend to the change arriving as an SSE event; and,
 * where Chromium is installed, in the page while a backend flips every second:
 * flip → DOM, the longest frame (wall clock, and the page's own main-thread CPU
 * in a frame), filter/view changes (input → rendered) and the page's JS heap.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { haveChromium, inputToRenderedMs, launchChromium, recordFrames } from '../test/dashboard/chromium.js';
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
    if (performance.now() - started > 180_000) throw new Error(`only ${state.counts.SERVING} of ${count} SERVING after 180 s`);
    await pause(250);
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

/**
 * Flips random backends NOT_SERVING and back, one change per `everyMs`; resolves
 * with the time from each setStatus (the backends' clock) to `observe` seeing it.
 */
async function flipLatencies(
  backends: JsonLineProcess,
  ports: number[],
  flips: number,
  everyMs: number,
  observe: (address: string, status: string) => Promise<number>,
) {
  const latencies: number[] = [];
  for (let i = 0; i < flips; i += 1) {
    const index = Math.floor(Math.random() * ports.length);
    const address = `127.0.0.1:${ports[index]}`;
    for (const status of ['NOT_SERVING', 'SERVING']) {
      const next = performance.now() + everyMs;
      const seen = observe(address, status);
      const { at } = await backends.ask<{ at: number }>({ cmd: 'set', backend: index, service: '', status });
      latencies.push((await seen) - at);
      await pause(Math.max(0, next - performance.now()));
    }
  }
  return latencies;
}

const stats = (values: number[]) => ({
  median: quantile(values, 0.5),
  p99: quantile(values, 0.99),
  max: Math.max(...values),
  samples: values.length,
});

/**
 * Page code that sets `window.__domChanged` to a promise of the time (epoch ms,
 * the machine's clock as the backends' process reads it) at which the list's DOM
 * first has (or, with `present` false, no longer has) an element matching `selector`.
 */
function domChange(selector: string, present: boolean): string {
  return `(() => {
    const wanted = () => (document.querySelector(${JSON.stringify(selector)}) !== null) === ${present};
    window.__domChanged = new Promise((resolve) => {
      const done = () => { observer.disconnect(); resolve(performance.timeOrigin + performance.now()); };
      const observer = new MutationObserver(() => { if (wanted()) done(); });
      observer.observe(document.getElementById('spacer'), { subtree: true, childList: true, attributes: true });
      if (wanted()) done();
    });
  })()`;
}

/** The page in Chromium: flip → DOM with a flip every second, frames meanwhile, then filter changes. */
async function inPage(url: string, backends: JsonLineProcess, ports: number[], flips: number) {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const loadStarted = performance.now();
    await page.goto(url);
    const all = ports.length.toLocaleString('en-US');
    await page.locator('#summary [data-service=""] .n', { hasText: `${all}/${all} SERVING` }).waitFor({ timeout: 120_000 });
    const loadMs = performance.now() - loadStarted;
    await pause(1000);
    const stop = await recordFrames(page);
    const dom = await flipLatencies(backends, ports, flips, 1000, async (address, status) => {
      // Back to SERVING, the row leaves the problems (and may leave the screen): the problem row goes.
      const notServing = `[data-backend="${address}"] [data-service=""][data-status="NOT_SERVING"]`;
      await page.evaluate(domChange(notServing, status === 'NOT_SERVING'));
      return page.evaluate<number>('window.__domChanged');
    });
    const frames = await stop();
    const filterMs: number[] = [];
    await page.focus('#filter');
    for (let round = 0; round < 3; round += 1) {
      filterMs.push(await inputToRenderedMs(page, '#filter', () => page.fill('#filter', `127.0.0.1:${ports[round]}`)));
      filterMs.push(await inputToRenderedMs(page, '#filter', () => page.fill('#filter', '')));
      filterMs.push(await inputToRenderedMs(page, '#only', () => page.selectOption('#only', 'problems')));
      filterMs.push(await inputToRenderedMs(page, '#only', () => page.selectOption('#only', 'all')));
    }
    const heapBytes = await page.evaluate<number>('performance.memory ? performance.memory.usedJSHeapSize : NaN');
    return { loadMs, dom: stats(dom), frames, filter: stats(filterMs), heapBytes };
  } finally {
    await browser.close();
  }
}

async function measure(backends: JsonLineProcess, ports: number[], rssOne: number, quick: boolean) {
  const count = ports.length;
  const flips = quick ? 3 : 10;
  const restSeconds = quick ? 3 : 10;
  const fleet = await startDashboard(ports);
  try {
    const settleMs = await settled(fleet, count);
    await pause(2000);
    const rssAll = rssBytes(fleet.child.pid!);
    const cpuBefore = processCpuMs(fleet.child.pid!);
    await pause(restSeconds * 1000);
    const restCpuPercent = ((processCpuMs(fleet.child.pid!) - cpuBefore) / (restSeconds * 1000)) * 100;

    const stream = events(fleet.url);
    await pause(500);
    const sse = await flipLatencies(backends, ports, flips, 100, (address, status) => stream.waitFor(address, status));
    stream.close();
    const page = haveChromium() ? await inPage(fleet.url, backends, ports, flips) : undefined;
    return {
      backends: count,
      settleSeconds: settleMs / 1000,
      rssAllMiB: rssAll / 2 ** 20,
      rssPerBackendKiB: (rssAll - rssOne) / (count - 1) / 1024,
      restCpuPercentOfOneCore: restCpuPercent,
      sseLatencyMs: stats(sse),
      page: page && {
        loadSeconds: page.loadMs / 1000,
        domLatencyMs: page.dom,
        frames: page.frames,
        filterChangeMs: page.filter,
        heapPerBackendKiB: page.heapBytes / count / 1024,
      },
    };
  } finally {
    fleet.stop();
  }
}

/** Runs the benchmark at 1,000 and 5,000 backends (`quick`: 100 and 500). */
export async function run({ quick }: { quick: boolean }): Promise<object> {
  const sizes = quick ? [100, 500] : [1000, 5000];
  const backends = new JsonLineProcess('./fixtures/backends-process.js', [String(Math.max(...sizes))]);
  const { ports } = await backends.read<{ ports: number[] }>();
  try {
    const one = await startDashboard(ports.slice(0, 1));
    await settled(one, 1);
    await pause(1000);
    const rssOne = rssBytes(one.child.pid!);
    one.stop();

    const runs = [];
    for (const size of sizes) runs.push(await measure(backends, ports.slice(0, size), rssOne, quick));

    const ms = (value: number) => `${value.toFixed(1)} ms`;
    printTable([
      [
        'backends',
        'settle',
        'RSS',
        'per backend',
        'CPU at rest',
        'flip→SSE p50/p99',
        'flip→DOM p50/p99',
        'longest frame (page CPU)',
        'filter p50/max',
        'page heap/backend',
      ],
      ...runs.map((r) => [
        r.backends,
        `${r.settleSeconds.toFixed(1)} s`,
        `${r.rssAllMiB.toFixed(0)} MiB`,
        `${r.rssPerBackendKiB.toFixed(1)} KiB`,
        `${r.restCpuPercentOfOneCore.toFixed(1)} %`,
        `${ms(r.sseLatencyMs.median)} / ${ms(r.sseLatencyMs.p99)}`,
        r.page ? `${ms(r.page.domLatencyMs.median)} / ${ms(r.page.domLatencyMs.p99)}` : 'no Chromium',
        r.page ? `${ms(r.page.frames.maxGapMs)} (${ms(r.page.frames.maxFrameCpuMs)})` : '',
        r.page ? `${ms(r.page.filterChangeMs.median)} / ${ms(r.page.filterChangeMs.max)}` : '',
        r.page ? `${r.page.heapPerBackendKiB.toFixed(1)} KiB` : '',
      ]),
    ]);
    const result = { rssOneBackendMiB: rssOne / 2 ** 20, runs };
    console.log(`wrote ${saveResult(quick ? 'dashboard.quick' : 'dashboard', result)}`);
    return result;
  } finally {
    backends.stop();
  }
}
