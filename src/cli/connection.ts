/** The client the connection flags make, and how it connects. */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { HealthClient } from '../client/health-client.js';
import { EXIT } from './exit-codes.js';
import { formatDuration } from './flags.js';
import { CliFailure, type ConnectionSettings } from './options.js';

function credentialsFor(settings: ConnectionSettings): grpc.ChannelCredentials {
  if (!settings.tls) return grpc.credentials.createInsecure();
  const read = (file: string | undefined, what: string) => {
    if (!file) return null;
    try {
      return readFileSync(file);
    } catch (error) {
      throw new CliFailure(
        EXIT.INVALID_ARGUMENTS,
        `failed to initialize tls credentials. error=failed to load ${what} from file (${file}): ${(error as Error).message}`,
      );
    }
  };
  const ca = settings.noVerify ? null : read(settings.caCert, 'root CA certificates');
  const key = read(settings.clientKey, 'client key');
  const cert = read(settings.clientCert, 'client certificate');
  try {
    return grpc.credentials.createSsl(ca, key, cert, settings.noVerify ? { rejectUnauthorized: false } : {});
  } catch (error) {
    throw new CliFailure(EXIT.INVALID_ARGUMENTS, `failed to initialize tls credentials. error=${(error as Error).message}`);
  }
}

/** The metadata every RPC carries: the -rpc-header values. */
export function headersMetadata(settings: ConnectionSettings): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of settings.headers) metadata.add(key, value);
  return metadata;
}

/** A client for the settings (not yet connected). */
export function clientFor(settings: ConnectionSettings): HealthClient {
  const options: grpc.ChannelOptions = {
    'grpc.primary_user_agent': settings.userAgent,
    // The one connection of a short-lived command: fail fast, no retries behind our back.
    'grpc.enable_retries': 0,
  };
  if (settings.serverName) {
    options['grpc.ssl_target_name_override'] = settings.serverName;
    options['grpc.default_authority'] = settings.serverName;
  }
  if (settings.gzip) options['grpc.default_compression_algorithm'] = 2; // gzip
  return new HealthClient(settings.target, credentialsFor(settings), { ...options, timeoutMs: settings.rpcTimeoutMs });
}

/** Waits until the client's channel is connected, or fails with exit code 2 in the probe's words. */
export function connect(client: HealthClient, settings: ConnectionSettings, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (detail?: string) =>
      reject(
        new CliFailure(
          EXIT.CONNECTION_FAILURE,
          detail ?? `timeout: failed to connect service ${JSON.stringify(settings.addr)} within ${formatDuration(settings.connectTimeoutMs)}`,
        ),
      );
    const onAbort = () => fail(`error: failed to connect service at ${JSON.stringify(settings.addr)}: cancelled`);
    signal.addEventListener('abort', onAbort, { once: true });
    client.raw.waitForReady(Date.now() + settings.connectTimeoutMs, (error) => {
      signal.removeEventListener('abort', onAbort);
      if (error) fail();
      else resolve();
    });
  });
}

/** An AbortSignal that fires on SIGINT or SIGTERM, saying so on stderr. */
export function signalOnInterrupt(log: (line: string) => void): AbortSignal {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    log(`cancellation received (signal: ${name === 'SIGINT' ? 'interrupt' : 'terminated'})`);
    controller.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return controller.signal;
}
