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

  it('demo: traffic follows drains, a failed dependency and a graceful shutdown; no RPC fails', async () => {
    const { stdout } = await run(process.execPath, [example('demo')], { timeout: 30_000 });
    const lines = stdout.split('\n');
    const watched = lines.filter((line) => line.includes('watch   b1')).map((line) => line.split('<- ')[1]);
    assert.deepEqual(watched, ['SERVING', 'NOT_SERVING', 'SERVING']);
    const rows = lines
      .filter((line) => line.includes(' rpcs '))
      .map((line) => Object.fromEntries([...line.matchAll(/(b\d|failed) +(\d+)/g)].map((m) => [m[1], Number(m[2])])));
    assert.equal(rows.length, 12, stdout);
    const [, steady, , drained, , b1Back, , dbGone, , dbBack, , b0Gone] = rows as Record<string, number>[];
    assert.ok(steady!.b0! > 0 && steady!.b1! > 0 && steady!.b2! > 0, 'all three get traffic');
    assert.equal(drained!.b1, 0, 'b1 gets nothing once drained');
    assert.ok(b1Back!.b1! > 0, 'traffic returns to b1');
    assert.equal(dbGone!.b2, 0, 'b2 gets nothing once its database check failed twice');
    assert.ok(dbBack!.b2! > 0, 'traffic returns to b2');
    assert.equal(b0Gone!.b0, 0, 'b0 gets nothing after its graceful shutdown');
    assert.match(stdout, /check {3}b2 database failed 2x/);
    assert.match(stdout, /b0 {6}server stopped gracefully/);
    assert.match(stdout, /done: \d+ RPCs, 0 failed/);
    assert.ok(!stdout.includes('FAILED'), stdout);
  });
});
