/** The client the connection flags make, and how it connects. */
import * as grpc from '@grpc/grpc-js';
import { HealthClient } from '../client/health-client.js';
import { formatGoDuration, nsToMs, setLongTimeout } from './duration.js';
import { EXIT } from './exit-codes.js';
import { goQuote } from './flags.js';
import { CliFailure, type ConnectionSettings } from './options.js';

/** The metadata every RPC carries: the -rpc-header values. */
export function headersMetadata(settings: ConnectionSettings): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of settings.headers) metadata.add(key, value);
  return metadata;
}

/**
 * A client for the settings (not yet connected). TLS code loads only with `-tls`.
 * `channelOptions` are added to the ones the settings make.
 */
export async function clientFor(settings: ConnectionSettings, channelOptions: grpc.ChannelOptions = {}): Promise<HealthClient> {
  const credentials = settings.tls ? (await import('./tls-credentials.js')).tlsCredentials(settings) : grpc.credentials.createInsecure();
  const options: grpc.ChannelOptions = {
    ...channelOptions,
    'grpc.primary_user_agent': settings.userAgent,
    // The one connection of a short-lived command: fail fast, no retries behind our back.
    'grpc.enable_retries': 0,
  };
  if (settings.serverName) {
    options['grpc.ssl_target_name_override'] = settings.serverName;
    options['grpc.default_authority'] = settings.serverName;
  }
  if (settings.gzip) options['grpc.default_compression_algorithm'] = 2; // gzip
  return new HealthClient(settings.target, credentials, { ...options, timeoutMs: nsToMs(settings.rpcTimeoutNs) });
}

/** Waits until the client's channel is connected, or fails with exit code 2 in the probe's words. */
export function connect(client: HealthClient, settings: ConnectionSettings, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const at = goQuote(settings.addr);
    const settle = (failure?: string) => {
      cancelTimer();
      signal.removeEventListener('abort', onAbort);
      if (failure === undefined) resolve();
      else reject(new CliFailure(EXIT.CONNECTION_FAILURE, failure));
    };
    const onAbort = () => settle(`error: failed to connect service at ${at}: context canceled`);
    // Our own timer, not waitForReady's: a Go duration can be longer than setTimeout allows.
    const cancelTimer = setLongTimeout(
      () => settle(`timeout: failed to connect service ${at} within ${formatGoDuration(settings.connectTimeoutNs)}`),
      nsToMs(settings.connectTimeoutNs),
    );
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    client.raw.waitForReady(Infinity, (error) => settle(error ? `error: failed to connect service at ${at}: ${error.message}` : undefined));
  });
}

// Re-exported for the grpc-js commands; `check` imports it from go-status.ts directly (no grpc-js).
export { goStatusText } from './go-status.js';
