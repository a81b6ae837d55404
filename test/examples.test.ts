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

  it('demo: the watch updates arrive and no watch is left open', async () => {
    const { stdout } = await run(process.execPath, [example('demo')], { timeout: 20_000 });
    const arrivals = stdout.split('\n').filter((line) => line.includes('<-')).map((line) => line.split('watch ')[1]);
    assert.deepEqual(arrivals, [
      ...(arrivals[0] === 'echo.Echo <- SERVING'
        ? ['echo.Echo <- SERVING', 'store.Store <- NOT_SERVING']
        : ['store.Store <- NOT_SERVING', 'echo.Echo <- SERVING']),
      'store.Store <- SERVING',
      'echo.Echo <- NOT_SERVING',
      'echo.Echo <- SERVING',
      'echo.Echo <- NOT_SERVING',
      'store.Store <- NOT_SERVING',
      'echo.Echo <- SERVING',
      'store.Store <- SERVING',
    ]);
    assert.match(stdout, /open watches after the client stopped: 0/);
  });
});
