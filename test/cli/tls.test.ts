/** TLS and mTLS against real TLS servers, with certificates made here by openssl. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { connect as tlsConnect, createServer as createTlsServer } from 'node:tls';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { HealthServer } from '../../src/index.js';
import { type RunningServer, startHealth, startServer } from '../helpers.js';
import { checkCommand, endpointFor } from '../../src/cli/check.js';
import { parseFlags } from '../../src/cli/flags.js';
import { type H2Endpoint, openSession } from '../../src/cli/h2-check.js';
import { connectionSettings } from '../../src/cli/options.js';
import { runCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'grpc-health-tls-'));
const file = (name: string) => join(dir, name);

/** A CA, a server certificate for 127.0.0.1/localhost and a client certificate, all signed by the CA. */
function makeCertificates(): void {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=test-ca', '-keyout', 'ca.key', '-out', 'ca.pem');
  writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:health.test\n');
  for (const [name, cn, ext] of [
    ['server', 'localhost', 'server.ext'],
    ['client', 'probe-client', undefined],
  ] as const) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-out',
      `${name}.pem`,
      ...(ext ? ['-extfile', ext] : []),
    );
  }
  // A second CA nobody trusts.
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=other-ca',
    '-keyout',
    'other.key',
    '-out',
    'other.pem',
  );
}

async function tlsServer(requireClientCert: boolean): Promise<RunningServer> {
  const health = new HealthServer();
  const credentials = grpc.ServerCredentials.createSsl(
    readFileSync(file('ca.pem')),
    [{ cert_chain: readFileSync(file('server.pem')), private_key: readFileSync(file('server.key')) }],
    requireClientCert,
  );
  return startServer((server) => health.addToServer(server), {}, credentials);
}

describe('grpc-health check over TLS', () => {
  let tls: RunningServer;
  let mtls: RunningServer;
  before(async () => {
    makeCertificates();
    tls = await tlsServer(false);
    mtls = await tlsServer(true);
  });
  after(() => {
    tls.stop();
    mtls.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('verifies the server with -tls-ca-cert', async () => {
    const result = await runCli(['check', '-addr', tls.address, '-tls', '-tls-ca-cert', file('ca.pem')]);
    assert.equal(result.code, 0, result.stderr);
  });

  it('fails to connect (2) when the server certificate is not trusted', async () => {
    const result = await runCli(['check', '-addr', tls.address, '-tls', '-tls-ca-cert', file('other.pem'), '-connect-timeout', '500ms']);
    assert.equal(result.code, 2, result.stderr);
  });

  it('connects with -tls-no-verify whatever the certificate', async () => {
    const result = await runCli(['check', '-addr', tls.address, '-tls', '-tls-no-verify']);
    assert.equal(result.code, 0, result.stderr);
  });

  it('verifies against -tls-server-name', async () => {
    const good = await runCli(['check', '-addr', tls.address, '-tls', '-tls-ca-cert', file('ca.pem'), '-tls-server-name', 'health.test']);
    assert.equal(good.code, 0, good.stderr);
    const bad = await runCli([
      'check',
      '-addr',
      tls.address,
      '-tls',
      '-tls-ca-cert',
      file('ca.pem'),
      '-tls-server-name',
      'other.test',
      '-connect-timeout',
      '500ms',
    ]);
    assert.equal(bad.code, 2, bad.stderr);
  });

  it('mTLS: refused without a client certificate, accepted with one', async () => {
    const without = await runCli(['check', '-addr', mtls.address, '-tls', '-tls-ca-cert', file('ca.pem'), '-connect-timeout', '500ms']);
    assert.notEqual(without.code, 0);
    assert.ok([2, 3].includes(without.code!), `exit ${without.code}: ${without.stderr}`);
    const withCert = await runCli([
      'check',
      '-addr',
      mtls.address,
      '-tls',
      '-tls-ca-cert',
      file('ca.pem'),
      '-tls-client-cert',
      file('client.pem'),
      '-tls-client-key',
      file('client.key'),
    ]);
    assert.equal(withCert.code, 0, withCert.stderr);
  });

  it('plaintext against a TLS server fails to connect (2)', async () => {
    const result = await runCli(['check', '-addr', tls.address, '-connect-timeout', '500ms']);
    assert.equal(result.code, 2, result.stderr);
  });

  it('a CA file with no certificate in it (garbage, empty, truncated): 1, "no root CA certs parsed from file"', async () => {
    const pem = readFileSync(file('ca.pem'), 'utf8');
    const contents = { 'garbage.pem': 'not a certificate\n', 'empty.pem': '', 'truncated.pem': pem.slice(0, pem.length / 2) };
    for (const [name, content] of Object.entries(contents)) {
      writeFileSync(file(name), content);
      const result = await runCli(['check', '-addr', tls.address, '-tls', '-tls-ca-cert', file(name)]);
      assert.equal(result.code, 1, name);
      assert.equal(result.stderr, `failed to initialize tls credentials. error=no root CA certs parsed from file ${file(name)}\n`, name);
    }
  });

  it("a client key that does not match its certificate: 1, in Go's words", async () => {
    const result = await runCli([
      'check',
      '-addr',
      mtls.address,
      '-tls',
      '-tls-ca-cert',
      file('ca.pem'),
      '-tls-client-cert',
      file('client.pem'),
      '-tls-client-key',
      file('server.key'),
    ]);
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      'failed to initialize tls credentials. error=failed to load tls client cert/key pair. error=tls: private key does not match public key\n',
    );
  });

  it('a missing client certificate file: 1, "open <file>: no such file or directory"', async () => {
    const missing = file('missing.pem');
    const result = await runCli([
      'check',
      '-addr',
      mtls.address,
      '-tls',
      '-tls-client-cert',
      missing,
      '-tls-client-key',
      file('client.key'),
    ]);
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      `failed to initialize tls credentials. error=failed to load tls client cert/key pair. error=open ${missing}: no such file or directory\n`,
    );
  });

  it('-tls to an IP address sends no SNI and prints no DEP0123 warning; the certificate is still checked against the IP', async () => {
    // A TLS terminator in front of a plaintext health server, to see the SNI the CLI sends.
    const backend = await startHealth();
    const servernames: (string | false)[] = [];
    const terminator = createTlsServer(
      { key: readFileSync(file('server.key')), cert: readFileSync(file('server.pem')), ALPNProtocols: ['h2'] },
      (socket) => {
        servernames.push((socket as unknown as { servername: string | false }).servername);
        const upstream = netConnect(backend.port, '127.0.0.1');
        socket.pipe(upstream).pipe(socket);
        socket.on('error', () => upstream.destroy());
        upstream.on('error', () => socket.destroy());
      },
    );
    await new Promise<void>((resolve) => terminator.listen(0, '127.0.0.1', resolve));
    const port = (terminator.address() as { port: number }).port;
    try {
      const result = await runCli(['check', '-addr', `127.0.0.1:${port}`, '-tls', '-tls-ca-cert', file('ca.pem')]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, 'status: SERVING\n');
      assert.deepEqual(servernames, [false]);
    } finally {
      terminator.close();
      backend.close();
    }
  });

  it('-addr :port -tls: no host name to verify, so the handshake fails, as with grpc-health-probe; -tls-server-name or -tls-no-verify connect', async () => {
    // The CLI dials `localhost` for `-addr :port`, which may be ::1, outside the tests'
    // 127.0.0.0/8: take the endpoint the CLI builds and dial 127.0.0.1 with it instead.
    const endpoint = (...flags: string[]): H2Endpoint => {
      const { values } = parseFlags(['-addr', `:${tls.port}`, '-tls', ...flags], checkCommand.flags);
      const built = endpointFor(connectionSettings(values));
      assert.equal(built.host, 'localhost');
      return { ...built, host: '127.0.0.1' };
    };
    const nameless = endpoint('-tls-ca-cert', file('ca.pem'));
    const socket = tlsConnect({ ...nameless.tls, host: '127.0.0.1', port: tls.port, ALPNProtocols: ['h2'] });
    const handshake = await new Promise<Error | undefined>((resolve) => {
      socket.once('secureConnect', () => resolve(undefined));
      socket.once('error', resolve);
    });
    socket.destroy();
    assert.match(String(handshake?.message), /either ServerName or InsecureSkipVerify must be specified/);
    for (const flags of [['-tls-ca-cert', file('ca.pem'), '-tls-server-name', 'localhost'], ['-tls-no-verify']]) {
      const session = await openSession(endpoint(...flags), new AbortController().signal);
      try {
        const check = { timeoutMs: 30_000, userAgent: 'test', headers: [], gzip: false, signal: new AbortController().signal };
        assert.equal(await session.check('', check), 'SERVING', flags.join(' '));
      } finally {
        session.close();
      }
    }
  });

  it('-v with -tls prints the TLS sub-options as the probe does', async () => {
    const result = await runCli(['check', '-addr', tls.address, '-tls', '-tls-ca-cert', file('ca.pem'), '-v']);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(
      result.stderr.includes(
        [
          '> tls=true',
          '  > no-verify=false ',
          `  > ca-cert=${file('ca.pem')}`,
          '  > client-cert=',
          '  > client-key=',
          '  > server-name=',
          '> alts=false',
          '> spiffe=false',
        ].join('\n'),
      ),
      result.stderr,
    );
  });
});
