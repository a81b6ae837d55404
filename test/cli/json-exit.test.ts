/**
 * Several `-service` flags: the exit code is the highest of theirs, whatever their
 * order, with or without `-json` (docs/cli.md says so: 4 outranks 3).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHealth } from '../helpers.js';
import { runCli } from './run-cli.js';

describe('grpc-health check with several services: the highest exit code wins', () => {
  let h: Awaited<ReturnType<typeof startHealth>>;
  before(async () => {
    h = await startHealth({ statuses: { 'up.Up': 'SERVING', 'down.Down': 'NOT_SERVING' } });
  });
  after(() => h.close());

  for (const json of [[], ['-json']]) {
    it(`NOT_SERVING (4) outranks NOT_FOUND (3) in either order${json.length ? ', with -json' : ''}`, async () => {
      for (const services of [
        ['nope.Nope', 'down.Down'],
        ['down.Down', 'nope.Nope', 'up.Up'],
      ]) {
        const result = await runCli(['check', '-addr', h.address, ...services.flatMap((s) => ['-service', s]), ...json]);
        assert.equal(result.code, 4, `${services.join(' ')}: ${result.stderr}`);
        if (json.length) assert.equal(result.stdout.trim().split('\n').length, services.length);
      }
      const unknown = await runCli(['check', '-addr', h.address, '-service', 'up.Up', '-service', 'nope.Nope', ...json]);
      assert.equal(unknown.code, 3);
    });
  }
});
