// Preloaded (node --import) into every test process by run-tests.js: each test and
// hook that sets no `timeout` of its own, and is not inside a suite that sets one,
// gets TEST_TIMEOUT_MS. So a test that hangs fails by name instead of holding the
// run. (`--test-timeout` cannot do this on Node 22: there it bounds whole
// files, not tests.)
//
// Those timeouts are timers, which a test spinning on microtasks starves: in the
// file processes, a watchdog thread (test-watchdog.js) is told which test runs and
// its timeout, sees the event loop stall, and fails the file naming the test.
//
// node:test's ESM exports are live views of its CommonJS exports, so replacing
// those and calling syncBuiltinESMExports() changes what test files import: the
// named exports (`it`, `describe`, ...), not the default one (`import test from`).
import { createRequire, syncBuiltinESMExports } from 'node:module';
import process from 'node:process';
import { setInterval } from 'node:timers';
import { URL } from 'node:url';
import { isMainThread, Worker } from 'node:worker_threads';

const DEFAULT_TIMEOUT_MS = Number(process.env.TEST_TIMEOUT_MS ?? 30_000);
// How long the event loop may stall past a test's timeout before the watchdog acts:
// long enough that a process starved of CPU on a loaded machine (its timers a second
// or more late) is not taken for one spinning on microtasks.
const STALL_GRACE_MS = Number(process.env.TEST_STALL_GRACE_MS ?? 5000);
const nodeTest = createRequire(import.meta.url)('node:test');

/** Tells the watchdog thread what runs now; a no-op outside a file process of node --test. */
const watchdog = { enter() {}, leave() {} };
// Only on the main thread: a worker inherits `--import` of this file, and a watchdog
// started there would start its own watchdog worker, which would start another...
// (threads and memory without end, and watchdogs that are never told what runs).
if (process.env.NODE_TEST_CONTEXT && isMainThread) {
  const beats = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(new URL('./test-watchdog.js', import.meta.url), {
    workerData: { beats, graceMs: STALL_GRACE_MS, defaultTimeoutMs: DEFAULT_TIMEOUT_MS },
  });
  worker.unref();
  // The heartbeat: runs only while the event loop turns.
  setInterval(() => Atomics.add(beats, 0, 1), 100).unref();
  watchdog.enter = (name, timeoutMs) => worker.postMessage({ name, ended: false, timeoutMs });
  watchdog.leave = (name, failed) => worker.postMessage({ name, ended: true, failed, timeoutMs: DEFAULT_TIMEOUT_MS });
}

/**
 * `fn`, telling the watchdog when it starts and when it has settled. Same `length`
 * as `fn`: node:test reads it to tell a callback-style test (t, done).
 */
function watched(fn, name, timeoutMs) {
  if (typeof fn !== 'function') return fn;
  const wrapper = function (...args) {
    watchdog.enter(name, timeoutMs);
    let result;
    try {
      result = fn.apply(this, args);
    } catch (error) {
      watchdog.leave(name, true);
      throw error;
    }
    if (typeof result?.then !== 'function') {
      watchdog.leave(name, false);
      return result;
    }
    return result.then(
      (value) => {
        watchdog.leave(name, false);
        return value;
      },
      (error) => {
        watchdog.leave(name, true);
        throw error;
      },
    );
  };
  Object.defineProperty(wrapper, 'length', { value: fn.length });
  Object.defineProperty(wrapper, 'name', { value: fn.name });
  return wrapper;
}

// Timeouts given to the suites whose bodies are running; their tests inherit them.
const suiteTimeouts = [];
const insideTimedSuite = () => suiteTimeouts.some((timeout) => timeout !== undefined);

// (name?, options?, fn?) as node:test takes them, as a triple.
function parseArgs(args) {
  let [name, options, fn] = args;
  if (typeof name === 'function') [name, options, fn] = [undefined, {}, name];
  else if (typeof name === 'object' && name !== null) [name, options, fn] = [undefined, name, options];
  if (typeof options === 'function') [options, fn] = [{}, options];
  return [name, options ?? {}, fn];
}

function bounded(options) {
  return options.timeout !== undefined || insideTimedSuite() ? options : { ...options, timeout: DEFAULT_TIMEOUT_MS };
}

/** The timeout that bounds a test with these (bounded) options: its own, else its suite's. */
function effectiveTimeout(options) {
  return options.timeout ?? suiteTimeouts.findLast((timeout) => timeout !== undefined) ?? DEFAULT_TIMEOUT_MS;
}

function boundedTest(original) {
  return Object.assign(function test(...args) {
    const [name, options, fn] = parseArgs(args);
    const given = bounded(options);
    return original.call(this, name, given, watched(fn, name ?? fn?.name ?? '<anonymous>', effectiveTimeout(given)));
  }, original);
}

function trackedSuite(original) {
  return Object.assign(function suite(...args) {
    const [name, options, fn] = parseArgs(args);
    const body =
      fn &&
      function (...bodyArgs) {
        suiteTimeouts.push(options.timeout);
        try {
          return fn.apply(this, bodyArgs);
        } finally {
          suiteTimeouts.pop();
        }
      };
    return original.call(this, name, options, body);
  }, original);
}

function boundedHook(original, kind) {
  return function hook(fn, options = {}) {
    const given = bounded(options);
    return original.call(this, watched(fn, `${kind} hook`, effectiveTimeout(given)), given);
  };
}

for (const name of ['it', 'test']) nodeTest[name] = boundedTest(nodeTest[name]);
for (const name of ['describe', 'suite']) nodeTest[name] = trackedSuite(nodeTest[name]);
for (const name of ['before', 'after', 'beforeEach', 'afterEach']) nodeTest[name] = boundedHook(nodeTest[name], name);
syncBuiltinESMExports();
