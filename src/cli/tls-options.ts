/**
 * What `-tls` and its sub-flags mean, checked as grpc-health-probe checks them (Go's
 * `crypto/tls` and `x509` wording): the one source of the TLS settings of both
 * paths, `check` (node:tls, src/cli/h2-check.ts) and the grpc-js commands
 * (src/cli/tls-credentials.ts).
 */
import type { X509Certificate } from 'node:crypto';
import type { ConnectionOptions } from 'node:tls';
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

// Built-ins through process.getBuiltinModule, when first used: an ESM import of
// node:crypto or node:net would also evaluate their lazy exports (webcrypto, BlockList),
// and `check` loads this module even without -tls.
const builtin = <ID extends 'node:crypto' | 'node:fs' | 'node:net' | 'node:tls'>(id: ID) => process.getBuiltinModule(id);

class TlsSetupError extends Error {}

/** Reads a file; throws Go's `open <file>: <reason>` (`read <file>: is a directory`). */
function readGoStyle(file: string): Buffer {
  try {
    return builtin('node:fs').readFileSync(file);
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
      new (builtin('node:crypto').X509Certificate)(text);
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
      certificate = new (builtin('node:crypto').X509Certificate)(certPem.text);
    } catch {
      throw new TlsSetupError('x509: malformed certificate');
    }
    let publicOfKey: Buffer;
    try {
      const { createPrivateKey, createPublicKey } = builtin('node:crypto');
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

/** The files of the TLS flags, read and checked: PEM text, or `undefined` when not given. */
export interface TlsMaterial {
  /** Trusted roots (`-tls-ca-cert`); `undefined`: the system's. */
  ca?: string;
  /** The client certificate and key (`-tls-client-cert`, `-tls-client-key`). */
  cert?: string;
  key?: string;
  /** `-tls-no-verify`. */
  noVerify: boolean;
}

/** Reads the TLS files; fails with exit code 1 and the probe's message. */
export function tlsMaterial(settings: ConnectionSettings): TlsMaterial {
  try {
    const pair = settings.clientCert && settings.clientKey ? clientKeyPair(settings.clientCert, settings.clientKey) : undefined;
    const ca = !settings.noVerify && settings.caCert ? rootCertificates(settings.caCert) : undefined;
    return { ca, cert: pair?.cert, key: pair?.key, noVerify: settings.noVerify };
  } catch (error) {
    const reason = error instanceof TlsSetupError ? error.message : (error as Error).message;
    throw new CliFailure(EXIT.INVALID_ARGUMENTS, `failed to initialize tls credentials. error=${reason}`);
  }
}

/**
 * The node:tls options of `check` (src/cli/h2-check.ts). `name` is what the server's
 * certificate must match: `-tls-server-name`, else the target's host. As Go's TLS
 * client: no SNI when it is an IP address (still checked against it), and no name at
 * all (`-addr :port`) fails every handshake unless `-tls-no-verify`.
 */
export function nodeTlsOptions(settings: ConnectionSettings, name: string): ConnectionOptions {
  const { ca, cert, key, noVerify } = tlsMaterial(settings);
  return {
    ca,
    cert,
    key,
    rejectUnauthorized: !noVerify,
    servername: builtin('node:net').isIP(name) === 0 ? name : '',
    checkServerIdentity: (_host, certificate) =>
      name === ''
        ? new Error('tls: either ServerName or InsecureSkipVerify must be specified in the tls.Config')
        : builtin('node:tls').checkServerIdentity(name, certificate),
  };
}
