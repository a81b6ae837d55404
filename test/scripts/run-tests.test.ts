/**
 * The test runner itself (scripts/run-tests.js): a test that hangs or leaves an
 * unhandled rejection fails the run, by name, within seconds.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { within } from '../helpers.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/runner/${name}.js`, import.meta.url));

/** Runs `node scripts/run-tests.js <file>` with a 500 ms default test timeout; fails past 15 s. */
async function runTests(file: string): Promise<{ code: number | null; output: string }> {
  // Without this test process's NODE_TEST_CONTEXT, the runner runs as a runner, not as a child of one.
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, ['scripts/run-tests.js', file], {
    cwd: root,
    env: { ...env, TEST_TIMEOUT_MS: '500' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    const code = await within(new Promise<number | null>((resolve) => child.on('close', resolve)), 15_000, `the run of ${file}`);
    return { code, output };
  } finally {
    child.kill('SIGTERM'); // the runner ends its own process group
  }
}

describe('scripts/run-tests.js', { timeout: 120_000 }, () => {
  it('fails the run on an unhandled rejection, naming the test', async () => {
    const { code, output } = await runTests(fixture('stray-rejection'));
    assert.equal(code, 1, output);
    assert.match(output, /✖ leaves a stray rejection/);
    assert.match(output, /nobody handles this/);
  });

  it('fails a hung test by name after the default timeout, though a server holds its process open', async () => {
    const { code, output } = await runTests(fixture('hung-test'));
    assert.equal(code, 1, output);
    assert.match(output, /✖ hangs with a server open/);
    assert.match(output, /test timed out after 500ms/);
  });

  it('keeps a timeout a test or its suite sets', async () => {
    const { code, output } = await runTests(fixture('own-timeouts'));
    assert.equal(code, 0, output);
    assert.match(output, /✔ runs past the default with a timeout of its own/);
    assert.match(output, /✔ inherits it/);
    assert.match(output, /✔ a callback-style test still gets its done callback/);
  });

  it('fails a test spinning on microtasks (timers starved) by name, soon after its timeout', async () => {
    const started = Date.now();
    const { code, output } = await runTests(fixture('spinning-test'));
    assert.equal(code, 1, output);
    assert.match(output, /✖ test "spins on microtasks" made no progress: no timer ran for \d+ ms, past its 500 ms timeout/);
    // 500 ms timeout + 1 s grace, plus the start of two node processes on a busy machine.
    assert.ok(Date.now() - started < 12_000, `took ${Date.now() - started} ms`);
  });

  it('starts one watchdog thread per test file, not one per thread', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
    const { code, output } = await runTests(fixture('worker-threads'));
    assert.equal(code, 0, output);
    assert.match(output, /✔ the thread count stays put while the file runs/);
  });

  it('fails a file whose failed test left a loop spinning, naming the test running and the one that failed', async () => {
    const { code, output } = await runTests(fixture('spin-left-behind'));
    assert.equal(code, 1, output);
    assert.match(
      output,
      /✖ test "runs after it" made no progress: .*; the last test that failed before: "fails with its load still running"/,
    );
  });
});
