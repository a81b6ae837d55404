/**
 * The balancer's benchmark (issue 3):
 * - failover: from setStatus(NOT_SERVING) on one of three backends to the last RPC
 *   that reaches it, median and p99 over repeated flips, under steady load; and
 *   how many RPCs failed across all the drains (must be 0);
 * - overhead: RPC/s of a health-checked round_robin channel against a plain
 *   round_robin channel, alternating in the same run, as a ratio.
 * Backends run in their own process (pinned to core 1 where taskset exists); the
 * failover load runs here, the throughput load in a process pinned to core 0.
 * Failover is split into notice (setStatus -> this process's balancer saw it) and
 * the rest (RPCs picked before that), with the longest event-loop delay of either
 * process per flip, so a slow flip shows what held it. `--failover-only` skips
 * the throughput part and writes no result file.
 */
import { spawnSync } from 'node:child_process';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { healthCheckChannelOptions, onBackendHealthChange } from '../src/index.js';
import { who, WhoClient } from '../test/backends.js';
import { HAS_TASKSET, JsonLineProcess, pause, printTable, quantile, saveResult } from './lib.js';

interface Stats {
  served: number[];
  lastServedAt: number[];
  cpuMs: number;
  /** Longest event-loop delay since the last `set`, ms. */
  loopMaxMs: number;
}

/** Keeps `inFlight` RPCs running on `client` until stopped. */
function closedLoop(client: WhoClient, inFlight: number) {
  const counters = { ok: 0, failed: 0, errors: new Map<string, number>() };
  let running = true;
  const workers = Array.from({ length: inFlight }, async () => {
    while (running) {
      try {
        await who(client, 5000);
        counters.ok += 1;
      } catch (error) {
        counters.failed += 1;
        const message = (error as Error).message;
        counters.errors.set(message, (counters.errors.get(message) ?? 0) + 1);
      }
    }
  });
  return {
    counters,
    stop: async () => {
      running = false;
      await Promise.all(workers);
    },
  };
}

/** Wall clock with sub-ms precision, comparable across processes (as the backends report it). */
const now = () => performance.timeOrigin + performance.now();

interface Flip {
  /** setStatus(NOT_SERVING) -> the last RPC that backend served. */
  failoverMs: number;
  /** setStatus -> this process's balancer saw NOT_SERVING (Watch message delivered and handled). */
  noticeMs: number;
  /** Longest event-loop delay in this process during the flip (the load generator shares it). */
  clientLoopMaxMs: number;
  /** Longest garbage-collection pause in this process during the flip. */
  clientGcMaxMs: number;
  /** Longest event-loop delay in the backends' process during the flip. */
  backendLoopMaxMs: number;
}

async function failover(target: string, backends: JsonLineProcess, flipAddress: string, flips: number, warmup: number) {
  const client = new WhoClient(target, grpc.credentials.createInsecure(), {
    ...healthCheckChannelOptions(''),
    'grpc.use_local_subchannel_pool': 1,
  });
  const load = closedLoop(client, 16);
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  let gcMaxMs = 0;
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMaxMs = Math.max(gcMaxMs, entry.duration);
  });
  let noticedAt: number; // 0 at the start of each flip
  const unsubscribe = onBackendHealthChange((health) => {
    if (health.address === flipAddress && health.state === 'NOT_SERVING') noticedAt = now();
  });
  const results: Flip[] = [];
  const cold: Flip[] = [];
  try {
    await pause(300); // connections up, traffic steady
    loopDelay.enable();
    gc.observe({ entryTypes: ['gc'] });
    for (let i = 0; i < warmup + flips; i++) {
      loopDelay.reset();
      gcMaxMs = 0;
      noticedAt = 0;
      const { at } = await backends.ask<{ at: number }>({ cmd: 'set', backend: 1, status: 'NOT_SERVING' });
      await pause(100);
      const stats = await backends.ask<Stats>({ cmd: 'stats' });
      const flip: Flip = {
        failoverMs: Math.max(0, stats.lastServedAt[1]! - at),
        noticeMs: noticedAt === 0 ? Number.NaN : noticedAt - at,
        clientLoopMaxMs: loopDelay.max / 1e6,
        clientGcMaxMs: gcMaxMs,
        backendLoopMaxMs: stats.loopMaxMs,
      };
      // The first flips run code the JIT has not optimised yet: reported apart.
      (i < warmup ? cold : results).push(flip);
      await backends.ask({ cmd: 'set', backend: 1, status: 'SERVING' });
      // Wait for traffic to come back before the next flip.
      const before = stats.served[1]!;
      for (let waited = 0; waited < 2000; waited += 10) {
        if ((await backends.ask<Stats>({ cmd: 'stats' })).served[1]! > before + 10) break;
        await pause(10);
      }
    }
  } finally {
    loopDelay.disable();
    gc.disconnect();
    unsubscribe();
    await load.stop();
    client.close();
  }
  return { flips: results, cold, ok: load.counters.ok, failed: load.counters.failed, errors: Object.fromEntries(load.counters.errors) };
}

/** RPC/s of one channel, from a load generator process pinned to core 0 (backends are on core 1). */
function throughput(target: string, checked: boolean, ms: number, inFlight: number): number {
  const script = fileURLToPath(new URL('./fixtures/who-load-process.js', import.meta.url));
  const args = [script, target, checked ? 'checked' : 'plain', String(inFlight), String(ms)];
  const command = HAS_TASKSET ? ['taskset', '-c', '0', process.execPath, ...args] : [process.execPath, ...args];
  const run = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`load generator failed: ${run.stderr}`);
  const { rps, failed } = JSON.parse(run.stdout) as { rps: number; failed: number };
  if (failed > 0) throw new Error(`${failed} RPCs failed in the throughput run`);
  return rps;
}

/** Runs the benchmark; `quick` keeps it short. */
export async function run({ quick }: { quick: boolean }): Promise<object> {
  const backends = new JsonLineProcess('./fixtures/backends-process.js', ['3'], [], 1);
  const { ports } = await backends.read<{ ports: number[] }>();
  const target = `ipv4:${ports.map((port) => `127.0.0.1:${port}`).join(',')}`;
  try {
    const flips = quick ? 20 : 200;
    const warmup = quick ? 5 : 10;
    const drain = await failover(target, backends, `127.0.0.1:${ports[1]}`, flips, warmup);
    const of = (key: keyof Flip) => drain.flips.map((flip) => flip[key]);
    const times = of('failoverMs');
    const summary = (key: keyof Flip) => ({
      medianMs: quantile(of(key), 0.5),
      p99Ms: quantile(of(key), 0.99),
      maxMs: Math.max(...of(key)),
    });
    const ms = (key: keyof Flip) => {
      const { medianMs, p99Ms } = summary(key);
      return `${medianMs.toFixed(2)} / ${p99Ms.toFixed(2)} ms`;
    };
    const cold = () => drain.cold.map((flip) => flip.failoverMs.toFixed(1)).join(', ') + ' ms';
    // Flips slower than the goal, and how many of them had a stalled event loop on either side.
    const slow = drain.flips.filter((flip) => flip.failoverMs >= 5);
    const slowStalled = slow.filter((flip) => Math.max(flip.clientLoopMaxMs, flip.backendLoopMaxMs) >= 5).length;
    printTable([
      ['failover', 'value', 'note'],
      [
        'failover median',
        `${quantile(times, 0.5).toFixed(2)} ms`,
        `setStatus(NOT_SERVING) -> last RPC served, ${flips} flips after ${warmup} warm-up`,
      ],
      ['failover p99', `${quantile(times, 0.99).toFixed(2)} ms`, ''],
      ['failover max', `${Math.max(...times).toFixed(2)} ms`, ''],
      ['warm-up flips', cold(), 'failover of the first flips, not counted above'],
      ['noticed, median / p99', ms('noticeMs'), 'setStatus -> the balancer here saw NOT_SERVING'],
      ['client loop delay max, median / p99', ms('clientLoopMaxMs'), 'per flip, this process (load generator + balancer)'],
      ['client GC pause max, median / p99', ms('clientGcMaxMs'), 'per flip, this process'],
      ['backends loop delay max, median / p99', ms('backendLoopMaxMs'), 'per flip, the backends process'],
      ['flips >= 5 ms', `${slow.length} (${slowStalled} with a loop stalled >= 5 ms)`, ''],
      ['RPCs during drains', `${drain.ok} ok, ${drain.failed} failed`, 'must be 0 failed'],
    ]);
    for (const [message, count] of Object.entries(drain.errors)) console.log(`failed ${count}x: ${message}`);
    if (process.argv.includes('--failover-only')) return {}; // while working on failover: no throughput, no result file

    const rounds = quick ? 2 : 10;
    const runMs = quick ? 1000 : 2000;
    const plain: number[] = [];
    const checked: number[] = [];
    for (let round = 0; round < rounds; round++) {
      // Alternate which goes first, so drift favours neither.
      const order = round % 2 === 0 ? [false, true] : [true, false];
      for (const isChecked of order) (isChecked ? checked : plain).push(throughput(target, isChecked, runMs, 64));
    }
    const plainRps = quantile(plain, 0.5);
    const checkedRps = quantile(checked, 0.5);
    // Paired: each round's two runs are back to back, so their ratio cancels the drift between rounds.
    const ratio = quantile(
      plain.map((p, i) => checked[i]! / p),
      0.5,
    );

    printTable([
      ['overhead', 'value', 'note'],
      ['plain round_robin', `${plainRps.toFixed(0)} RPC/s`, `median of ${rounds} runs of ${runMs} ms, 64 in flight`],
      ['health-checked', `${checkedRps.toFixed(0)} RPC/s`, ''],
      ['ratio checked/plain', ratio.toFixed(3), 'median of per-round ratios; target >= 0.97'],
    ]);
    const result = {
      failover: {
        flips,
        warmup,
        ...summary('failoverMs'),
        noticeMs: summary('noticeMs'),
        clientLoopMaxMs: summary('clientLoopMaxMs'),
        clientGcMaxMs: summary('clientGcMaxMs'),
        backendLoopMaxMs: summary('backendLoopMaxMs'),
        slowFlips: slow.length,
        slowFlipsWithStalledLoop: slowStalled,
        samples: drain.flips,
        warmupSamples: drain.cold,
        rpcsOk: drain.ok,
        rpcsFailed: drain.failed,
        errors: drain.errors,
      },
      overhead: { plainRps: plain, checkedRps: checked, ratio },
    };
    console.log(`results: ${saveResult(quick ? 'balancer.quick' : 'balancer', result)}`);
    return result;
  } finally {
    backends.stop();
  }
}
