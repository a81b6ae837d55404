/**
 * `grpc-health watch` against a server whose Watch trailers are too large for the
 * client (grpc-js-compat 13): it retries with a line per failure (Node 22 and
 * later, where the call ends INTERNAL), or exits 3 with a line (Node 20, where
 * the call is dropped without a status), never with Node's code 13 for a
 * top-level await left pending.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startOversizedTrailersServer } from '../client/oversized-trailers-server.js';
import { within } from '../helpers.js';
import { startCli } from './run-cli.js';

describe('grpc-health watch: a Watch that ends without a status', () => {
  it('retries with a line per failure, or exits 0-4 with a line', async () => {
    const server = await startOversizedTrailersServer();
    const cli = startCli(['watch', '-addr', server.address, '-until', 'NOT_SERVING']);
    try {
      const ended = await within(
        Promise.race([cli.done, cli.waitFor(/retrying in .*\n.*retrying in/, 'stderr', 20_000).then(() => undefined)]),
        20_000,
        'an exit or two retries',
      );
      if (ended) {
        assert.equal(ended.code, 3, `stderr ${JSON.stringify(ended.stderr)}`);
        assert.match(ended.stderr, /^error: health rpc failed: the Watch call stopped without a status[^\n]*\n$/);
      } else {
        assert.match(cli.stderr(), /Watch "" failed: INTERNAL: [^\n]*\(retrying in /);
      }
      assert.match(cli.stdout(), /SERVING/, 'the status it got first');
    } finally {
      cli.child.kill('SIGKILL');
      server.close();
    }
  });
});
