/**
 * The connection flags every client subcommand shares (grpc-health-probe's) and
 * their validation with the probe's messages. No heavy imports: `main` loads this
 * before deciding what to run.
 */
import { formatGoDuration } from './duration.js';
import { type FlagSpec, type FlagValues, UsageError } from './flags.js';
import { checkHeaderFlag, describeHeaders, parseHeaders, type RpcHeader } from './headers.js';

/** grpc-health-probe's flags, minus ALTS and SPIFFE (not available in Node), plus `-json`. */
export const CONNECTION_FLAGS = {
  addr: { kind: 'string', help: '(required) tcp host:port or unix:///path to connect' },
  service: { kind: 'list', help: 'service name to check (default: ""); repeat to check several' },
  'connect-timeout': { kind: 'duration', help: 'timeout for establishing connection', defaultValue: 1_000_000_000n },
  'rpc-timeout': { kind: 'duration', help: 'timeout for health check rpc', defaultValue: 1_000_000_000n },
  'user-agent': { kind: 'string', help: 'user-agent header value of health check requests', defaultValue: 'grpc-health-kit' },
  'rpc-header': {
    kind: 'list',
    help: "additional RPC headers in 'name: value' format. May specify more than one via multiple flags.",
    check: checkHeaderFlag,
  },
  tls: { kind: 'bool', help: 'use TLS (default: false, INSECURE plaintext transport)' },
  'tls-ca-cert': { kind: 'string', help: '(with -tls, optional) file containing trusted certificates for verifying server' },
  'tls-client-cert': {
    kind: 'string',
    help: '(with -tls, optional) client certificate for authenticating to the server (requires -tls-client-key)',
  },
  'tls-client-key': { kind: 'string', help: '(with -tls) client private key for authenticating to the server (requires -tls-client-cert)' },
  'tls-no-verify': { kind: 'bool', help: "(with -tls) don't verify the certificate (INSECURE) presented by the server (default: false)" },
  'tls-server-name': { kind: 'string', help: '(with -tls) override the hostname used to verify the server certificate' },
  gzip: { kind: 'bool', help: 'use gzip for requests and responses (default: false)' },
  v: { kind: 'bool', help: 'verbose logs' },
  json: { kind: 'bool', help: 'one JSON object per result on stdout' },
} as const satisfies Record<string, FlagSpec>;

/** The connection settings, validated. */
export interface ConnectionSettings {
  addr: string;
  target: string;
  services: string[];
  connectTimeoutNs: bigint;
  rpcTimeoutNs: bigint;
  userAgent: string;
  headers: RpcHeader[];
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

/** Checks the flags as grpc-health-probe does (same order, same words); throws {@link UsageError}. */
export function connectionSettings(values: FlagValues): ConnectionSettings {
  const str = (name: string) => {
    const value = values[name] as string | undefined;
    return value === '' ? undefined : value;
  };
  const bool = (name: string) => values[name] === true;
  const addr = str('addr') ?? '';
  if (addr === '') throw new UsageError('-addr not specified');
  const connectTimeoutNs = (values['connect-timeout'] as bigint | undefined) ?? 1_000_000_000n;
  const rpcTimeoutNs = (values['rpc-timeout'] as bigint | undefined) ?? 1_000_000_000n;
  if (connectTimeoutNs <= 0n) {
    throw new UsageError(`-connect-timeout must be greater than zero (specified: ${formatGoDuration(connectTimeoutNs)})`);
  }
  if (rpcTimeoutNs <= 0n) throw new UsageError(`-rpc-timeout must be greater than zero (specified: ${formatGoDuration(rpcTimeoutNs)})`);
  const tls = bool('tls');
  if (!tls && bool('tls-no-verify')) throw new UsageError('specified -tls-no-verify without specifying -tls');
  for (const flag of ['tls-ca-cert', 'tls-client-cert', 'tls-server-name'] as const) {
    if (!tls && str(flag)) throw new UsageError(`specified -${flag} without specifying -tls`);
  }
  if (str('tls-client-cert') && !str('tls-client-key'))
    throw new UsageError('specified -tls-client-cert without specifying -tls-client-key');
  if (!str('tls-client-cert') && str('tls-client-key'))
    throw new UsageError('specified -tls-client-key without specifying -tls-client-cert');
  if (bool('tls-no-verify') && str('tls-ca-cert')) {
    throw new UsageError('cannot specify -tls-ca-cert with -tls-no-verify (CA cert would not be used)');
  }
  if (bool('tls-no-verify') && str('tls-server-name')) {
    throw new UsageError('cannot specify -tls-server-name with -tls-no-verify (server name would not be used)');
  }
  const headers = parseHeaders(values['rpc-header'] as string[]);
  const services = values.service as string[];
  return {
    addr,
    // Go dials ":5000" as the local host; grpc-js needs a name.
    target: addr.startsWith(':') ? `localhost${addr}` : addr,
    services: services.length > 0 ? services : [''],
    connectTimeoutNs,
    rpcTimeoutNs,
    userAgent: (values['user-agent'] as string | undefined) ?? 'grpc-health-kit',
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

/** The probe's `-v` lines about its options. */
export function describeSettings(settings: ConnectionSettings): string[] {
  const lines = [
    'parsed options:',
    `> addr=${settings.addr} conn_timeout=${formatGoDuration(settings.connectTimeoutNs)} rpc_timeout=${formatGoDuration(settings.rpcTimeoutNs)}`,
  ];
  if (settings.headers.length > 0) lines.push(`> headers: ${describeHeaders(settings.headers)}`);
  lines.push(`> tls=${settings.tls}`);
  if (settings.tls) {
    lines.push(
      `  > no-verify=${settings.noVerify} `,
      `  > ca-cert=${settings.caCert ?? ''}`,
      `  > client-cert=${settings.clientCert ?? ''}`,
      `  > client-key=${settings.clientKey ?? ''}`,
      `  > server-name=${settings.serverName ?? ''}`,
    );
  }
  lines.push('> alts=false', '> spiffe=false');
  return lines;
}

const CLI_FAILURE = Symbol.for('grpc-health-kit/cli/CliFailure');

/**
 * A failure that ends the command with an exit code and a message for stderr.
 * Recognised by a brand, not by class, as {@link UsageError} (two copies in the bundle).
 */
export class CliFailure extends Error {
  override name = 'CliFailure';
  readonly [CLI_FAILURE] = true;
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && CLI_FAILURE in value;
  }
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}
