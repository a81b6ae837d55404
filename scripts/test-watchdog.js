// The watchdog thread of a test process, started by bounded-tests.js.
//
// node:test's timeouts are timers: a test that spins on microtasks (an async loop
// whose awaits all settle at once, e.g. calls on a closed client) starves them,
// and its file would run at 100 % CPU until the whole run's watchdog. This thread
// runs outside the event loop. The main thread bumps a shared counter from an
// interval timer; when the counter has not moved for STALL_GRACE_MS although the
// running test is past its timeout (so node:test's own timer had its chance), it
// names the test on stderr and kills the process, and the runner reports the file
// as failed.
import { writeSync } from 'node:fs';
import process from 'node:process';
import { setInterval } from 'node:timers';
import { parentPort, workerData } from 'node:worker_threads';

/** @type {{ beats: Int32Array, graceMs: number, defaultTimeoutMs: number }} */
const { beats, graceMs, defaultTimeoutMs } = workerData;

// What the main thread runs now: a test (or hook) and its timeout, or the time after one ended.
let current = { name: undefined, ended: false, timeoutMs: defaultTimeoutMs, since: Date.now() };
// A loop a failed test left running may be what spins during a later test.
let lastFailed;
parentPort.on('message', (message) => {
  current = { ...message, since: Date.now() };
  if (message.failed) lastFailed = message.name;
});

let lastCount = Atomics.load(beats, 0);
let lastBeatAt = Date.now();

function describeCurrent() {
  if (current.name === undefined) return 'the test file (before its first test)';
  return current.ended ? `the test file after "${current.name}" ended` : `"${current.name}"`;
}

setInterval(() => {
  const now = Date.now();
  const count = Atomics.load(beats, 0);
  if (count !== lastCount) {
    lastCount = count;
    lastBeatAt = now;
    return;
  }
  const stalled = now - lastBeatAt;
  if (stalled <= graceMs || now - current.since <= current.timeoutMs + graceMs) return;
  const earlier = lastFailed !== undefined && lastFailed !== current.name ? `; the last test that failed before: "${lastFailed}"` : '';
  writeSync(
    2,
    `✖ ${current.ended ? '' : 'test '}${describeCurrent()} made no progress: no timer ran for ${stalled} ms, ` +
      `past its ${current.timeoutMs} ms timeout (an async loop spinning on microtasks, or a long synchronous step)${earlier}; ` +
      `test process ${process.pid} killed\n`,
  );
  process.kill(process.pid, 'SIGKILL');
}, 100);
