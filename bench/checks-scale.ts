/**
 * DependencyChecks at scale: N checks every 200 ms (each feeding one of 100
 * services), for a few seconds. Prints runs/s against the N × 5 a 200 ms
 * interval asks for, the event-loop lag (the worst delay of a 10 ms timer) and
 * the CPU time per run (what a loaded machine does not hide).
 * Standalone: `node dist/bench/checks-scale.js [3000,6000] [seconds]`.
 */
import { DependencyChecks, HealthServer } from '../src/index.js';

const counts = (process.argv[2] ?? '3000,6000').split(',').map(Number);
const seconds = Number(process.argv[3] ?? 5);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The worst lateness of a 10 ms interval timer while it runs. */
function lagMeter() {
  let worst = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 10);
    last = now;
  }, 10);
  return {
    reset: () => {
      worst = 0;
      last = performance.now();
    },
    worst: () => worst,
    stop: () => clearInterval(timer),
  };
}

for (const n of counts) {
  const health = new HealthServer();
  const checks = new DependencyChecks(health, { intervalMs: 200, timeoutMs: 1000 });
  let runs = 0;
  for (let i = 0; i < n; i++) {
    checks.add(
      `check-${i}`,
      () => {
        runs += 1;
      },
      { services: [`svc.S${i % 100}`] },
    );
  }
  const lag = lagMeter();
  checks.start();
  await sleep(1000); // warm-up: the first runs all start at once
  runs = 0;
  lag.reset();
  const started = performance.now();
  const cpu = process.cpuUsage();
  await sleep(seconds * 1000);
  const { user, system } = process.cpuUsage(cpu);
  const elapsed = (performance.now() - started) / 1000;
  const perSecond = runs / elapsed;
  checks.stop();
  lag.stop();
  console.log(
    `${n} checks every 200 ms: ${Math.round(perSecond)} runs/s of ${n * 5} expected (${((perSecond / (n * 5)) * 100).toFixed(0)} %), worst event-loop lag ${Math.round(lag.worst())} ms, ${((user + system) / runs).toFixed(0)} µs CPU per run`,
  );
}
