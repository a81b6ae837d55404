// Runs the compiled tests (dist/test/**/*.test.js) with node's test runner.
//   node scripts/run-tests.js [filter | file.js ...]
// A filter keeps the test files whose path contains it; an existing .js/.mjs file is
// run as given.
//
// Bounded in time: every test and hook gets TEST_TIMEOUT_MS (default 30 s) unless it
// or its suite sets its own (bounded-tests.js); a file whose event loop stalls past
// the running test's timeout (a loop spinning on microtasks starves node:test's
// timers) is killed by a watchdog thread naming the test (test-watchdog.js,
// TEST_STALL_GRACE_MS, default 5 s, after the timeout); a file's process exits when its
// tests are done even if a handle is left open (--test-force-exit); the whole run
// is killed past RUN_TIMEOUT_MS (default 20 min). Unhandled rejections fail the
// test processes (--unhandled-rejections=strict; node:test fails them anyway).
import { spawn } from 'node:child_process';
import console from 'node:console';
import { existsSync, globSync } from 'node:fs';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';
import { URL } from 'node:url';

const RUN_TIMEOUT_MS = Number(process.env.RUN_TIMEOUT_MS ?? 20 * 60_000);

const args = process.argv.slice(2);
const given = args.filter((arg) => /\.[cm]?js$/.test(arg) && existsSync(arg));
const filters = args.filter((arg) => !given.includes(arg));
const found =
  given.length > 0 && filters.length === 0
    ? []
    : globSync('dist/test/**/*.test.js').filter((file) => filters.length === 0 || filters.some((part) => file.includes(part)));
const files = [...new Set([...given, ...found.sort()])];
if (files.length === 0) {
  console.error(`run-tests: no test file matches ${args.join(' ')}`);
  process.exit(1);
}

const preload = new URL('./bounded-tests.js', import.meta.url).href;

const runner = spawn(
  process.execPath,
  ['--unhandled-rejections=strict', '--import', preload, '--test', '--test-force-exit', '--test-reporter=spec', ...files],
  // Its own process group, so that ending the run ends the file processes too.
  { stdio: 'inherit', detached: true },
);
const endRun = () => {
  try {
    process.kill(-runner.pid, 'SIGKILL');
  } catch {
    // already gone
  }
};
const watchdog = setTimeout(() => {
  console.error(`run-tests: the run took over ${RUN_TIMEOUT_MS} ms; killed`);
  endRun();
  process.exit(1);
}, RUN_TIMEOUT_MS);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    endRun();
    process.exit(1);
  });
}
runner.on('exit', (code) => {
  clearTimeout(watchdog);
  process.exit(code ?? 1);
});
