/** grpc-health-probe's connection flags and their checks (src/cli/options.ts): fast unit tests. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXIT } from '../../src/cli/exit-codes.js';
import { FlagError, parseFlags, UsageError } from '../../src/cli/flags.js';
import { CliFailure, CONNECTION_FLAGS, connectionSettings, describeSettings } from '../../src/cli/options.js';

const settings = (...args: string[]) => connectionSettings(parseFlags(args, CONNECTION_FLAGS).values);

function refused(args: string[], message: string): void {
  assert.throws(
    () => settings(...args),
    (error: unknown) => {
      assert.ok(error instanceof UsageError || error instanceof FlagError, String(error));
      assert.equal(error.message, message);
      return true;
    },
  );
}

describe('connection settings', { timeout: 5000 }, () => {
  it("has grpc-health-probe's exit codes", () => {
    assert.deepEqual(EXIT, { OK: 0, INVALID_ARGUMENTS: 1, CONNECTION_FAILURE: 2, RPC_FAILURE: 3, UNHEALTHY: 4 });
  });

  it('defaults like the probe: 1 s timeouts, the whole server, plaintext', () => {
    assert.deepEqual(settings('-addr', 'h:1'), {
      addr: 'h:1',
      target: 'h:1',
      services: [''],
      connectTimeoutNs: 1_000_000_000n,
      rpcTimeoutNs: 1_000_000_000n,
      userAgent: 'grpc-health-kit',
      headers: [],
      tls: false,
      caCert: undefined,
      clientCert: undefined,
      clientKey: undefined,
      noVerify: false,
      serverName: undefined,
      gzip: false,
      verbose: false,
      json: false,
    });
  });

  it('takes every flag', () => {
    const s = settings(
      '-addr',
      ':5000',
      '-service',
      'a',
      '-service',
      'b',
      '-connect-timeout',
      '2s',
      '-rpc-timeout',
      '300ms',
      '-user-agent',
      'kube-probe/1.30',
      '-rpc-header',
      'X-Token: a: b',
      '-rpc-header',
      'k:v',
      '-tls',
      '-tls-ca-cert',
      'ca.pem',
      '-tls-client-cert',
      'c.pem',
      '-tls-client-key',
      'k.pem',
      '-tls-server-name',
      'svc',
      '-gzip',
      '-v',
      '-json',
    );
    assert.equal(s.target, 'localhost:5000', 'Go dials ":port" on the local host');
    assert.equal(s.addr, ':5000');
    assert.deepEqual(s.services, ['a', 'b']);
    assert.equal(s.connectTimeoutNs, 2_000_000_000n);
    assert.equal(s.rpcTimeoutNs, 300_000_000n);
    assert.equal(s.userAgent, 'kube-probe/1.30');
    assert.deepEqual(s.headers, [
      ['x-token', 'a: b'],
      ['k', 'v'],
    ]);
    assert.deepEqual(
      [s.tls, s.caCert, s.clientCert, s.clientKey, s.serverName, s.noVerify, s.gzip, s.verbose, s.json],
      [true, 'ca.pem', 'c.pem', 'k.pem', 'svc', false, true, true, true],
    );
    assert.equal(settings('-addr', 'h:1', '-tls', '-tls-no-verify').noVerify, true);
    assert.equal(settings('-addr', 'h:1', '-tls', '-tls-no-verify=false', '-tls-ca-cert', 'ca.pem').caCert, 'ca.pem');
    assert.equal(settings('-addr', 'h:1', '-connect-timeout', '1ns').connectTimeoutNs, 1n);
    // A TLS switch turned off explicitly needs no -tls; empty file flags count as not given.
    assert.equal(settings('-addr', 'h:1', '-tls-no-verify=false').noVerify, false);
    assert.equal(settings('-addr', 'h:1', '-tls-ca-cert', '', '-tls-client-key', '').caCert, undefined);
    assert.equal(settings('-addr', 'h:1', '-tls', '-tls-no-verify', '-tls-server-name', '').serverName, undefined);
  });

  it('carries an exit code with a failure', () => {
    const failure = new CliFailure(EXIT.RPC_FAILURE, 'timeout: health rpc did not complete within 1s');
    assert.ok(failure instanceof Error);
    assert.equal(failure.name, 'CliFailure');
    assert.equal(failure.exitCode, 3);
    assert.equal(failure.message, 'timeout: health rpc did not complete within 1s');
  });

  it('refuses what the probe refuses, in its words', () => {
    refused([], '-addr not specified');
    refused(['-addr', ''], '-addr not specified');
    refused(['-addr', 'h:1', '-connect-timeout', '0'], '-connect-timeout must be greater than zero (specified: 0s)');
    refused(['-addr', 'h:1', '-connect-timeout', '-1ms'], '-connect-timeout must be greater than zero (specified: -1ms)');
    refused(['-addr', 'h:1', '-rpc-timeout', '-1s'], '-rpc-timeout must be greater than zero (specified: -1s)');
    refused(['-addr', 'h:1', '-rpc-timeout', '0'], '-rpc-timeout must be greater than zero (specified: 0s)');
    for (const flag of ['tls-no-verify', 'tls-ca-cert', 'tls-client-cert', 'tls-server-name']) {
      const args = flag === 'tls-no-verify' ? [`-${flag}`] : [`-${flag}`, 'x'];
      refused(
        ['-addr', 'h:1', ...args, ...(flag === 'tls-client-cert' ? ['-tls-client-key', 'k'] : [])],
        `specified -${flag} without specifying -tls`,
      );
    }
    refused(['-addr', 'h:1', '-tls', '-tls-client-cert', 'c'], 'specified -tls-client-cert without specifying -tls-client-key');
    refused(['-addr', 'h:1', '-tls', '-tls-client-key', 'k'], 'specified -tls-client-key without specifying -tls-client-cert');
    refused(
      ['-addr', 'h:1', '-tls', '-tls-no-verify', '-tls-ca-cert', 'c'],
      'cannot specify -tls-ca-cert with -tls-no-verify (CA cert would not be used)',
    );
    refused(
      ['-addr', 'h:1', '-tls', '-tls-no-verify', '-tls-server-name', 's'],
      'cannot specify -tls-server-name with -tls-no-verify (server name would not be used)',
    );
    // The header's colon is checked as the flag is read (the probe's Set), the rest after.
    refused(
      ['-addr', 'h:1', '-rpc-header', 'novalue'],
      'invalid value "novalue" for flag -rpc-header: invalid RPC header, expected \'key: value\', got "novalue"',
    );
    refused(['-addr', 'h:1', '-rpc-header', ':v'], 'cannot send RPC header ":v": empty name');
  });

  it("describes the options as the probe's -v does", () => {
    assert.deepEqual(describeSettings(settings('-addr', 'h:1', '-rpc-timeout', '1.5s')), [
      'parsed options:',
      '> addr=h:1 conn_timeout=1s rpc_timeout=1.5s',
      '> tls=false',
      '> alts=false',
      '> spiffe=false',
    ]);
    assert.deepEqual(
      describeSettings(settings('-addr', 'h:1', '-rpc-header', 'a: 1', '-tls', '-tls-client-cert', 'c.pem', '-tls-client-key', 'k.pem')),
      [
        'parsed options:',
        '> addr=h:1 conn_timeout=1s rpc_timeout=1s',
        '> headers: {map[a:[1]]}',
        '> tls=true',
        '  > no-verify=false ',
        '  > ca-cert=',
        '  > client-cert=c.pem',
        '  > client-key=k.pem',
        '  > server-name=',
        '> alts=false',
        '> spiffe=false',
      ],
    );
  });

  it('documents every flag, with the defaults the probe prints', () => {
    for (const [name, spec] of Object.entries(CONNECTION_FLAGS)) assert.ok(spec.help.length > 0, name);
    assert.equal(CONNECTION_FLAGS['connect-timeout'].defaultValue, 1_000_000_000n);
    assert.equal(CONNECTION_FLAGS['rpc-timeout'].defaultValue, 1_000_000_000n);
    assert.equal(CONNECTION_FLAGS['user-agent'].defaultValue, 'grpc-health-kit');
  });
});
