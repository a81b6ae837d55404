/**
 * `-tls` as grpc-js channel credentials for `watch`, `list` and `dashboard`, from
 * the files src/cli/tls-options.ts reads and checks; loaded only when `-tls` is given.
 */
import { isIP } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { EXIT } from './exit-codes.js';
import { CliFailure, type ConnectionSettings } from './options.js';
import { tlsMaterial } from './tls-options.js';

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
  const { ca, cert, key, noVerify } = tlsMaterial(settings);
  try {
    const credentials = grpc.credentials.createSsl(
      ca === undefined ? null : Buffer.from(ca),
      key === undefined ? null : Buffer.from(key),
      cert === undefined ? null : Buffer.from(cert),
      noVerify ? { rejectUnauthorized: false } : {},
    );
    return withoutIpServerName(credentials);
  } catch (error) {
    throw new CliFailure(EXIT.INVALID_ARGUMENTS, `failed to initialize tls credentials. error=${(error as Error).message}`);
  }
}
