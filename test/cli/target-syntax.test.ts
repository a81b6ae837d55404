import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { targetSyntaxError } from '../../src/cli/target-syntax.js';
import { runCli } from './run-cli.js';

// Targets grpc-js fails on every attempt, whatever the network does.
const NEVER = [
  '127.0.0.1:',
  'localhost:x',
  '[::1',
  '[::1]x',
  '[host]:1',
  'dns:///127.0.0.1:',
  'ipv4:1.2.3:80',
  'ipv4:::1',
  'ipv6:127.0.0.1',
  '127.0.0.1:99999',
];

describe('target syntax (the CLI)', { timeout: 30_000 }, () => {
  it("accepts what grpc-js parses and refuses what it never can, by grpc-js's rules", () => {
    for (const good of [
      '127.0.0.1:50051',
      'localhost:50051',
      'localhost',
      '[::1]:50051',
      '::1',
      'dns:///orders.internal:443',
      'dns://8.8.8.8/orders:443',
      'ipv4:127.0.0.1:1,127.0.0.2:2',
      'ipv6:[::1]:1',
      'unix:///run/app.sock',
      'unix:app.sock',
      '999.1.1.1:80', // a name to grpc-js: it fails to resolve, which the network decides
    ]) {
      assert.equal(targetSyntaxError(good), undefined, good);
    }
    for (const bad of ['', ...NEVER]) assert.notEqual(targetSyntaxError(bad), undefined, bad);
  });

  it("watch and list refuse an address that can never parse with exit 1 and one line; check keeps the probe's exit 2", async () => {
    for (const command of ['watch', 'list']) {
      for (const addr of ['127.0.0.1:', 'ipv4:1.2.3:80']) {
        const result = await runCli([command, '-addr', addr]);
        assert.equal(result.code, 1, `${command} -addr ${addr}: ${result.stderr}`);
        assert.match(result.stderr, new RegExp(`^error: -addr ${JSON.stringify(addr).replace(/[.[\]]/g, '\\$&')}: `));
        assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      }
    }
    const check = await runCli(['check', '-addr', '127.0.0.1:', '-connect-timeout', '200ms']);
    assert.equal(check.code, 2, check.stderr);
  });
});
