/**
 * The connection flags every client subcommand shares (grpc-health-probe's) and
 * their validation with the probe's messages. No heavy imports: `main` loads this
 * before deciding what to run.
 */
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
  override name = 'CliFailure';
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

