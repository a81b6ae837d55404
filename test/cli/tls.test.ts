/** TLS and mTLS against real TLS servers, with certificates made here by openssl. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { HealthServer } from '../../src/index.js';
import { type RunningServer, startServer } from '../helpers.js';
import { runCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'grpc-health-tls-'));
const file = (name: string) => join(dir, name);

/** A CA, a server certificate for 127.0.0.1/localhost and a client certificate, all signed by the CA. */
function makeCertificates(): void {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=test-ca', '-keyout', 'ca.key', '-out', 'ca.pem');
  writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:health.test\n');
  for (const [name, cn, ext] of [['server', 'localhost', 'server.ext'], ['client', 'probe-client', undefined]] as const) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', `${name}.pem`, ...(ext ? ['-extfile', ext] : []));
  }
  // A second CA nobody trusts.
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=other-ca', '-keyout', 'other.key', '-out', 'other.pem');
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
    const bad = await runCli(['check', '-addr', tls.address, '-tls', '-tls-ca-cert', file('ca.pem'), '-tls-server-name', 'other.test', '-connect-timeout', '500ms']);
    assert.equal(bad.code, 2, bad.stderr);
  });

  it('mTLS: refused without a client certificate, accepted with one', async () => {
    const without = await runCli(['check', '-addr', mtls.address, '-tls', '-tls-ca-cert', file('ca.pem'), '-connect-timeout', '500ms']);
    assert.notEqual(without.code, 0);
    assert.ok([2, 3].includes(without.code!), `exit ${without.code}: ${without.stderr}`);
    const withCert = await runCli([
      'check', '-addr', mtls.address, '-tls', '-tls-ca-cert', file('ca.pem'),
      '-tls-client-cert', file('client.pem'), '-tls-client-key', file('client.key'),
    ]);
    assert.equal(withCert.code, 0, withCert.stderr);
  });

  it('plaintext against a TLS server fails to connect (2)', async () => {
    const result = await runCli(['check', '-addr', tls.address, '-connect-timeout', '500ms']);
    assert.equal(result.code, 2, result.stderr);
  });
});
