// Preloaded (node --import) into every test process by run-tests.js: each test and
// hook that sets no `timeout` of its own, and is not inside a suite that sets one,
// gets TEST_TIMEOUT_MS. So a test that hangs fails by name instead of holding the
// run. (`--test-timeout` cannot do this on Node 22: there it bounds whole
// files, not tests.)
//
// node:test's ESM exports are live views of its CommonJS exports, so replacing
// those and calling syncBuiltinESMExports() changes what test files import: the
// named exports (`it`, `describe`, ...), not the default one (`import test from`).
import { createRequire, syncBuiltinESMExports } from 'node:module';
import process from 'node:process';

const DEFAULT_TIMEOUT_MS = Number(process.env.TEST_TIMEOUT_MS ?? 30_000);
const nodeTest = createRequire(import.meta.url)('node:test');

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

function boundedTest(original) {
  return Object.assign(function test(...args) {
    const [name, options, fn] = parseArgs(args);
    return original.call(this, name, bounded(options), fn);
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

function boundedHook(original) {
  return function hook(fn, options = {}) {
    return original.call(this, fn, bounded(options));
  };
}

for (const name of ['it', 'test']) nodeTest[name] = boundedTest(nodeTest[name]);
for (const name of ['describe', 'suite']) nodeTest[name] = trackedSuite(nodeTest[name]);
for (const name of ['before', 'after', 'beforeEach', 'afterEach']) nodeTest[name] = boundedHook(nodeTest[name]);
syncBuiltinESMExports();
