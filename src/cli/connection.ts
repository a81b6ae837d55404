/**
 * The connection flags every client subcommand shares (grpc-health-probe's), their
 * validation with the probe's messages, and the client they make.
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { HealthClient } from '../client/health-client.js';
import { EXIT } from './exit-codes.js';
import { type FlagSpec, type FlagValues, formatDuration, UsageError } from './flags.js';

/** grpc-health-probe's flags, minus ALTS and SPIFFE (not available in Node). */
export const CONNECTION_FLAGS = {
  addr: { kind: 'string', help: '(required) host:port or unix:///path to connect to' },
  service: { kind: 'list', help: 'service name to check (default "", the whole server)' },
  'connect-timeout': { kind: 'duration', help: 'timeout for establishing the connection', defaultText: '1s' },
  'rpc-timeout': { kind: 'duration', help: 'timeout for each health RPC', defaultText: '1s' },
  'user-agent': { kind: 'string', help: 'user-agent header of health requests', defaultText: 'grpc-health-kit' },
  'rpc-header': { kind: 'list', help: "additional RPC header in 'name: value' form" },
  tls: { kind: 'bool', help: 'use TLS (default: plaintext)' },
  'tls-ca-cert': { kind: 'string', help: '(with -tls) file of trusted certificates for verifying the server' },
  'tls-client-cert': { kind: 'string', help: '(with -tls) client certificate for mTLS (requires -tls-client-key)' },
  'tls-client-key': { kind: 'string', help: '(with -tls) client private key for mTLS (requires -tls-client-cert)' },
  'tls-no-verify': { kind: 'bool', help: "(with -tls) don't verify the server's certificate (INSECURE)" },
  'tls-server-name': { kind: 'string', help: '(with -tls) the name to verify the server certificate against' },
  gzip: { kind: 'bool', help: 'compress requests with gzip' },
  v: { kind: 'bool', help: 'verbose logs on stderr' },
  json: { kind: 'bool', help: 'one JSON object per result on stdout' },
} as const satisfies Record<string, FlagSpec>;

/** The connection settings, validated. */
export interface ConnectionSettings {
  addr: string;
  target: string;
  services: string[];
  connectTimeoutMs: number;
  rpcTimeoutMs: number;
  userAgent: string;
  headers: [string, string][];
  tls: boolean;
  caCert?: string;
  clientCert?: string;
  clientKey?: string;
  noVerify: boolean;
  serverName?: string;
  gzip: boolean;
  verbose: boolean;
  json: boolean;
}

/** Checks the flags as grpc-health-probe does; throws {@link UsageError} with its wording. */
export function connectionSettings(values: FlagValues): ConnectionSettings {
  const str = (name: string) => values[name] as string | undefined;
  const bool = (name: string) => values[name] === true;
  const addr = str('addr') ?? '';
  if (addr === '') throw new UsageError('-addr not specified');
  const connectTimeoutMs = (values['connect-timeout'] as number | undefined) ?? 1000;
  const rpcTimeoutMs = (values['rpc-timeout'] as number | undefined) ?? 1000;
  if (connectTimeoutMs <= 0) {
    throw new UsageError(`-connect-timeout must be greater than zero (specified: ${formatDuration(connectTimeoutMs)})`);
  }
  if (rpcTimeoutMs <= 0) throw new UsageError(`-rpc-timeout must be greater than zero (specified: ${formatDuration(rpcTimeoutMs)})`);
  const tls = bool('tls');
  for (const flag of ['tls-no-verify', 'tls-ca-cert', 'tls-client-cert', 'tls-server-name'] as const) {
    if (!tls && values[flag] !== undefined && values[flag] !== false) {
      throw new UsageError(`specified -${flag} without specifying -tls`);
    }
  }
  if (str('tls-client-cert') && !str('tls-client-key')) throw new UsageError('specified -tls-client-cert without specifying -tls-client-key');
  if (!str('tls-client-cert') && str('tls-client-key')) throw new UsageError('specified -tls-client-key without specifying -tls-client-cert');
  if (bool('tls-no-verify') && str('tls-ca-cert')) {
    throw new UsageError('cannot specify -tls-ca-cert with -tls-no-verify (CA cert would not be used)');
  }
  if (bool('tls-no-verify') && str('tls-server-name')) {
    throw new UsageError('cannot specify -tls-server-name with -tls-no-verify (server name would not be used)');
  }
  const headers = (values['rpc-header'] as string[]).map((header): [string, string] => {
    const colon = header.indexOf(':');
    if (colon <= 0) throw new UsageError(`invalid RPC header, expected 'key: value', got ${JSON.stringify(header)}`);
    return [header.slice(0, colon).trim().toLowerCase(), header.slice(colon + 1).trimStart()];
  });
  const services = values.service as string[];
  return {
    addr,
    // Go dials ":5000" as the local host; grpc-js needs a name.
    target: addr.startsWith(':') ? `localhost${addr}` : addr,
    services: services.length > 0 ? services : [''],
    connectTimeoutMs,
    rpcTimeoutMs,
    userAgent: str('user-agent') ?? 'grpc-health-kit',
    headers,
    tls,
    caCert: str('tls-ca-cert'),
    clientCert: str('tls-client-cert'),
    clientKey: str('tls-client-key'),
    noVerify: bool('tls-no-verify'),
    serverName: str('tls-server-name'),
    gzip: bool('gzip'),
    verbose: bool('v'),
    json: bool('json'),
  };
}

/** A failure that ends the command with an exit code and a message for stderr. */
export class CliFailure extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

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
