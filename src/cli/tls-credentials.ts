/**
 * `-tls` credentials with grpc-health-probe's checks and messages (Go's
 * `crypto/tls` and `x509` wording), loaded only when `-tls` is given.
 */
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { EXIT } from './exit-codes.js';
import { CliFailure, type ConnectionSettings } from './options.js';

/** Go's texts of the errors reading a file can give (`open x: no such file or directory`). */
const GO_ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  EMFILE: 'too many open files',
};

class TlsSetupError extends Error {}

/** Reads a file; throws Go's `open <file>: <reason>` (`read <file>: is a directory`). */
function readGoStyle(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const reason = GO_ERRNO_TEXT[code] ?? (error as Error).message;
    throw new TlsSetupError(`${code === 'EISDIR' ? 'read' : 'open'} ${file}: ${reason}`);
  }
}

const PEM_BLOCK = /-----BEGIN ([^-\r\n]+)-----\r?\n[\s\S]*?-----END \1-----/g;

/** The PEM blocks of a file, with their types. */
function pemBlocks(data: Buffer): { type: string; text: string }[] {
  return [...data.toString('latin1').matchAll(PEM_BLOCK)].map((match) => ({ type: match[1]!, text: match[0] }));
}

/** The certificates Go's `AppendCertsFromPEM` would take from a CA file (those that parse). */
function rootCertificates(file: string): string {
  let data: Buffer;
  try {
    data = readGoStyle(file);
  } catch (error) {
    throw new TlsSetupError(`failed to load root CA certificates from file (${file}) error=${(error as Error).message}`);
  }
  const parsed = pemBlocks(data).filter(({ type, text }) => {
    if (type !== 'CERTIFICATE') return false;
    try {
      new X509Certificate(text);
      return true;
    } catch {
      return false;
    }
  });
  if (parsed.length === 0) throw new TlsSetupError(`no root CA certs parsed from file ${file}`);
  return parsed.map(({ text }) => text).join('\n');
}

/** The client certificate and key, checked as Go's `tls.LoadX509KeyPair` checks them. */
function clientKeyPair(certFile: string, keyFile: string): { cert: string; key: string } {
  try {
    const certBlocks = pemBlocks(readGoStyle(certFile));
    const keyBlocks = pemBlocks(readGoStyle(keyFile));
    const certPem = certBlocks.find(({ type }) => type === 'CERTIFICATE');
    if (!certPem) throw new TlsSetupError('tls: failed to find any PEM data in certificate input');
    const keyPem = keyBlocks.find(({ type }) => type.endsWith('PRIVATE KEY'));
    if (!keyPem) throw new TlsSetupError('tls: failed to find any PEM data in key input');
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(certPem.text);
    } catch {
      throw new TlsSetupError('x509: malformed certificate');
    }
    let publicOfKey: Buffer;
    try {
      publicOfKey = createPublicKey(createPrivateKey(keyPem.text)).export({ type: 'spki', format: 'der' });
    } catch {
      throw new TlsSetupError('tls: failed to parse private key');
    }
    if (!publicOfKey.equals(certificate.publicKey.export({ type: 'spki', format: 'der' }))) {
      throw new TlsSetupError('tls: private key does not match public key');
    }
    return { cert: certPem.text, key: keyPem.text };
  } catch (error) {
    if (error instanceof TlsSetupError) throw new TlsSetupError(`failed to load tls client cert/key pair. error=${error.message}`);
    throw error;
  }
}

/**
 * As Go's TLS client does, sends no SNI when the server name is an IP address
 * (RFC 6066 forbids it; Node warns DEP0123): the certificate is still checked
 * against the IP. grpc-js always sets `servername`, so its connector is adjusted.
 */
function withoutIpServerName(credentials: grpc.ChannelCredentials): grpc.ChannelCredentials {
  type Connector = { connectionOptions?: { servername?: string } };
  const internals = credentials as unknown as { _createSecureConnector?: (...args: unknown[]) => Connector };
  const create = internals._createSecureConnector;
  if (typeof create !== 'function') return credentials;
  internals._createSecureConnector = (...args: unknown[]) => {
    const connector = create.apply(credentials, args);
    const options = connector.connectionOptions;
    if (options?.servername !== undefined && isIP(options.servername) !== 0) delete options.servername;
    return connector;
  };
  return credentials;
}

/** The channel credentials for `-tls` and its sub-flags; fails with exit code 1 and the probe's message. */
export function tlsCredentials(settings: ConnectionSettings): grpc.ChannelCredentials {
  try {
    const pair = settings.clientCert && settings.clientKey ? clientKeyPair(settings.clientCert, settings.clientKey) : undefined;
    const ca = !settings.noVerify && settings.caCert ? rootCertificates(settings.caCert) : undefined;
    const credentials = grpc.credentials.createSsl(
      ca === undefined ? null : Buffer.from(ca),
      pair ? Buffer.from(pair.key) : null,
      pair ? Buffer.from(pair.cert) : null,
      settings.noVerify ? { rejectUnauthorized: false } : {},
    );
    return withoutIpServerName(credentials);
  } catch (error) {
    const reason = error instanceof TlsSetupError ? error.message : (error as Error).message;
    throw new CliFailure(EXIT.INVALID_ARGUMENTS, `failed to initialize tls credentials. error=${reason}`);
  }
}
