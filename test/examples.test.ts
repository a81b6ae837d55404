/** The examples run as a user runs them, as child processes, and say what they should. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';

const run = promisify(execFile);
const example = (name: string) => fileURLToPath(new URL(`../examples/${name}.js`, import.meta.url));

describe('examples', () => {
  it('custom-health: hand-written Check and Watch on the generated definition', async () => {
    const { stdout } = await run(process.execPath, [example('custom-health')], { timeout: 10_000 });
    assert.deepEqual(stdout.trim().split('\n'), [
      'check "": SERVING',
      'watch "": SERVING',
      'watch "": NOT_SERVING',
      'check "": NOT_SERVING',
    ]);
  });

  it('demo: traffic leaves a draining backend and returns, the Watch updates arrive, no RPC fails', async () => {
    const { stdout } = await run(process.execPath, [example('demo')], { timeout: 30_000 });
    const lines = stdout.split('\n');
    const watched = lines.filter((line) => line.includes('watch   b1')).map((line) => line.split('<- ')[1]);
    assert.deepEqual(watched, ['SERVING', 'NOT_SERVING', 'SERVING']);
    const rows = lines
      .filter((line) => line.includes(' rpcs '))
      .map((line) => Object.fromEntries([...line.matchAll(/(b\d|failed) +(\d+)/g)].map((m) => [m[1], Number(m[2])])));
    assert.equal(rows.length, 6, stdout);
    assert.ok(rows[1]!.b1! > 0, 'b1 gets traffic before the drain');
    assert.equal(rows[3]!.b1, 0, 'b1 gets nothing once drained');
    assert.ok(rows[3]!.b0! > 0 && rows[3]!.b2! > 0);
    assert.ok(rows[5]!.b1! > 0, 'traffic returns to b1');
    assert.match(stdout, /done: \d+ RPCs, 0 failed/);
    assert.ok(!stdout.includes('FAILED'), stdout);
  });
});
