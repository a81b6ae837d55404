/**
 * The Check of `grpc-health check`, spoken over `node:http2` directly.
 *
 * Why: a probe is started per container every few seconds, and evaluating grpc-js
 * costs more CPU than the whole Check (issue 20; `npm run bench -- startup`). This
 * module makes the one unary call itself, the messages encoded by code buf generates
 * from proto/ (ts-proto's messages-only output on @bufbuild/protobuf's wire codec,
 * src/generated/wire: a few KB, where booting protoc-gen-es's descriptors alone takes
 * ~15 ms of CPU). It is the only place the project speaks HTTP/2 itself; `watch`,
 * `list`, `serve` and `dashboard` use grpc-js.
 *
 * The rules it follows:
 * - gRPC over HTTP/2 (grpc/grpc doc/PROTOCOL-HTTP2.md): `POST /grpc.health.v1.Health/Check`
 *   with `content-type: application/grpc`, `te: trailers`, `grpc-timeout` (at most 8
 *   digits and a unit, rounded up), `user-agent` and the custom metadata (`-bin`
 *   values base64); each message behind a compressed flag and a 4-byte big-endian
 *   length; the status in `grpc-status` and `grpc-message` (percent-decoded) of the
 *   trailers, or of the headers of a Trailers-Only response.
 * - `-gzip`: the request compressed, `grpc-encoding: gzip` and `grpc-accept-encoding: gzip`.
 * - Connected means the server's SETTINGS arrived (TCP, TLS and the HTTP/2 preface
 *   done). A failed attempt is retried with gRPC's connection backoff (1 s, ×1.6,
 *   ±20 %) until the caller gives up, as grpc-go's blocking dial does.
 * - Failures as grpc-go reports them (internal/transport): RST_STREAM codes by the
 *   HTTP/2 → gRPC table of PROTOCOL-HTTP2.md (REFUSED_STREAM → UNAVAILABLE, CANCEL →
 *   CANCELLED, ENHANCE_YOUR_CALM → RESOURCE_EXHAUSTED, INADEQUATE_SECURITY →
 *   PERMISSION_DENIED, the others INTERNAL, except FLOW_CONTROL_ERROR →
 *   RESOURCE_EXHAUSTED as grpc-go has it); a GOAWAY or a lost connection →
 *   UNAVAILABLE; a response that is not gRPC by its HTTP status
 *   (doc/http-grpc-status-mapping.md: 400 → INTERNAL, 401 → UNAUTHENTICATED, 403 →
 *   PERMISSION_DENIED, 404 → UNIMPLEMENTED, 429/502/503/504 → UNAVAILABLE, others UNKNOWN).
 */
import type { ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders } from 'node:http2';
import type { ConnectionOptions } from 'node:tls';
import { Backoff } from '../client/backoff.js';
import { HealthCheckRequest, HealthCheckResponse, HealthCheckResponse_ServingStatus } from '../generated/wire/grpc/health/v1/health.js';
import { GrpcCode } from '../grpc-code.js';
import { setLongTimeout } from './duration.js';

// Built-ins through process.getBuiltinModule rather than `import`: an ESM import of a
// built-in evaluates every lazy export it has (node:net's BlockList, node:http's
// undici...), milliseconds each probe would pay.
const http2 = process.getBuiltinModule('node:http2');
const { constants } = http2;

/** Where to connect: a TCP host and port, or a Unix socket; `tls` options for `-tls`. */
export interface H2Endpoint {
  /** `:authority` of the calls. */
  authority: string;
  host?: string;
  port?: number;
  /** A Unix socket path. */
  path?: string;
  /** node:tls options (verification, client certificate, `servername`); absent: plaintext. */
  tls?: ConnectionOptions;
}

/** A call that ended without an OK status: the gRPC code and its description (grpc-go's words). */
export class CallError extends Error {
  override name = 'CallError';
  constructor(
    readonly code: number,
    readonly details: string,
  ) {
    super(details);
  }
}

const CARDINALITY_MANY = 'cardinality violation: expected <EOF> for non server-streaming RPCs, but received another message';

/** The largest message accepted, as grpc-go's default. */
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/**
 * Reads a gRPC target as grpc-go and grpc-js do: `unix:path`, `unix:///abs`,
 * `dns:[//authority/]host[:port]`, `ipv4:`/`ipv6:` (the first address), else
 * `host[:port]` (port 443 when none, IPv6 in brackets).
 */
export function endpointOf(target: string): Omit<H2Endpoint, 'tls'> {
  if (target.startsWith('unix:')) {
    const rest = target.slice('unix:'.length);
    return { authority: 'localhost', path: rest.startsWith('//') ? rest.slice(2) : rest };
  }
  let hostPort = target;
  const scheme = /^(dns|ipv4|ipv6):(?:\/\/[^/]*\/)?/.exec(target);
  if (scheme) hostPort = target.slice(scheme[0].length).split(',')[0]!;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(hostPort);
  const plain = /^([^:]*)(?::(\d+))?$/.exec(hostPort);
  const [host, port] = bracketed ? [bracketed[1]!, bracketed[2]] : plain ? [plain[1]!, plain[2]] : [hostPort, undefined];
  const portNumber = port === undefined ? 443 : Number(port);
  return { authority: bracketed || !plain ? `[${host}]:${portNumber}` : `${host}:${portNumber}`, host, port: portNumber };
}

/** One connection attempt: a session that is usable once 'remoteSettings' fires. */
function connectOnce(endpoint: H2Endpoint): ClientHttp2Session {
  const where = endpoint.path !== undefined ? { path: endpoint.path } : { host: endpoint.host ?? 'localhost', port: endpoint.port ?? 443 };
  const { tls } = endpoint;
  return http2.connect(`${tls ? 'https' : 'http'}://localhost`, {
    settings: { enablePush: false },
    createConnection: () =>
      tls
        ? process.getBuiltinModule('node:tls').connect({ ...tls, ...where, ALPNProtocols: ['h2'] })
        : process.getBuiltinModule('node:net').connect(where),
  });
}

/**
 * Connects, retrying failed attempts with backoff, until `signal` aborts (the caller's
 * connect timeout or an interrupt); then rejects with `signal.reason`.
 */
export function openSession(endpoint: H2Endpoint, signal: AbortSignal): Promise<H2Session> {
  return new Promise((resolve, reject) => {
    const backoff = new Backoff();
    let current: ClientHttp2Session | undefined;
    let cancelRetry = () => {};
    const onAbort = () => {
      cancelRetry();
      current?.destroy();
      current = undefined;
      reject(signal.reason);
    };
    const attempt = () => {
      let session: ClientHttp2Session;
      try {
        session = connectOnce(endpoint);
      } catch {
        // An address node:net refuses outright (port 99999): a failed attempt, as grpc-go's dialer error is.
        cancelRetry = setLongTimeout(attempt, backoff.next());
        return;
      }
      current = session;
      const failed = () => {
        if (current !== session) return;
        current = undefined;
        session.destroy();
        cancelRetry = setLongTimeout(attempt, backoff.next());
      };
      session.on('error', failed);
      session.once('close', failed);
      session.once('remoteSettings', () => {
        if (current !== session) return;
        current = undefined;
        signal.removeEventListener('abort', onAbort);
        resolve(new H2Session(session, endpoint));
      });
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    attempt();
  });
}

/** What one Check sends besides the service name. */
export interface CheckOptions {
  timeoutMs: number;
  userAgent: string;
  headers: readonly (readonly [name: string, value: string | Buffer])[];
  gzip: boolean;
  signal: AbortSignal;
}

/** An open connection: Checks as streams on it. */
export class H2Session {
  private goaway?: { code: number; lastStreamId: number; debug: Buffer };

  constructor(
    private readonly session: ClientHttp2Session,
    private readonly endpoint: H2Endpoint,
  ) {
    session.on('goaway', (code: number, lastStreamId: number, debug?: Buffer) => {
      this.goaway ??= { code, lastStreamId, debug: debug ?? Buffer.alloc(0) };
    });
    session.on('error', () => {}); // each call reports what it saw
  }

  /** Closes the connection. */
  close(): void {
    this.session.destroy();
  }

  /** One Check; resolves to the status name, rejects with a {@link CallError}. */
  check(service: string, options: CheckOptions): Promise<string> {
    return new Promise((resolve, reject) => {
      let stream: ClientHttp2Stream | undefined;
      let done = false;
      const settle = (error: CallError | undefined, status?: string) => {
        if (done) return;
        done = true;
        cancelTimer();
        options.signal.removeEventListener('abort', onAbort);
        if (stream && !stream.closed) stream.close(constants.NGHTTP2_CANCEL);
        if (error) reject(error);
        else resolve(status!);
      };
      const fail = (code: number, details: string) => settle(new CallError(code, details));
      const onAbort = () => fail(GrpcCode.CANCELLED, 'context canceled');
      const cancelTimer = setLongTimeout(() => fail(GrpcCode.DEADLINE_EXCEEDED, 'context deadline exceeded'), options.timeoutMs);
      const deadline = Date.now() + options.timeoutMs;
      if (options.signal.aborted) return onAbort();
      options.signal.addEventListener('abort', onAbort, { once: true });

      let message: Uint8Array = HealthCheckRequest.encode({ service }).finish();
      if (options.gzip) message = gzipSync(message);
      const frame = Buffer.alloc(5 + message.length);
      frame[0] = options.gzip ? 1 : 0;
      frame.writeUInt32BE(message.length, 1);
      frame.set(message, 5);
      const headers: Record<string, string | string[]> = {
        ':method': 'POST',
        ':scheme': this.endpoint.tls ? 'https' : 'http',
        ':path': '/grpc.health.v1.Health/Check',
        ':authority': this.endpoint.authority,
        'content-type': 'application/grpc',
        te: 'trailers',
        'user-agent': options.userAgent,
        'grpc-timeout': grpcTimeout(options.timeoutMs),
      };
      if (options.gzip) {
        headers['grpc-encoding'] = 'gzip';
        headers['grpc-accept-encoding'] = 'gzip';
      }
      for (const [name, value] of options.headers) {
        const text = typeof value === 'string' ? value : value.toString('base64').replace(/=+$/, '');
        const before = headers[name];
        headers[name] = before === undefined ? text : [...(Array.isArray(before) ? before : [before]), text];
      }
      try {
        stream = this.session.request(headers);
      } catch (error) {
        return fail(GrpcCode.UNAVAILABLE, this.goaway ? 'the connection is draining' : `transport is closing: ${(error as Error).message}`);
      }

      let response: IncomingHttpHeaders | undefined;
      let trailers: IncomingHttpHeaders | undefined;
      let ended = false;
      const chunks: Buffer[] = [];
      let received = 0;
      let declared: number | undefined;
      stream.on('response', (head) => {
        response = head;
        const nonGrpc = notGrpc(head);
        if (nonGrpc) fail(nonGrpc.code, nonGrpc.details);
      });
      stream.on('trailers', (tail) => (trailers = tail));
      stream.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        received += chunk.length;
        // Bounded: a message over the limit, or more than one message, fails at once.
        if (received >= 5 && declared === undefined) {
          declared = Buffer.concat(chunks).readUInt32BE(1);
          if (declared > MAX_MESSAGE_BYTES) {
            fail(GrpcCode.RESOURCE_EXHAUSTED, `grpc: received message larger than max (${declared} vs. ${MAX_MESSAGE_BYTES})`);
          }
        }
        if (declared !== undefined && received > 5 + declared + 5) fail(GrpcCode.INTERNAL, CARDINALITY_MANY);
      });
      stream.on('end', () => (ended = true));
      stream.on('error', () => {}); // the stream's end is read in 'close'
      stream.on('close', () => {
        if (done) return;
        const status = trailers ?? (response && response['grpc-status'] !== undefined ? response : undefined);
        if (status) {
          const outcome = readStatus(status);
          if (outcome.code !== GrpcCode.OK) return fail(outcome.code, outcome.details);
          const answer = readResponse(Buffer.concat(chunks), response?.['grpc-encoding']);
          return answer instanceof CallError ? settle(answer) : settle(undefined, answer);
        }
        const streamId = stream!.id ?? 0;
        const rstCode = stream!.rstCode ?? constants.NGHTTP2_NO_ERROR;
        if (this.goaway && streamId > this.goaway.lastStreamId) {
          return fail(GrpcCode.UNAVAILABLE, 'the stream is rejected because server is draining the connection');
        }
        if (this.session.destroyed || this.session.closed) {
          const lost = 'connection error: desc = "error reading from server: EOF"';
          return fail(
            GrpcCode.UNAVAILABLE,
            this.goaway ? `closing transport due to: ${lost}, received prior goaway: ${goawayText(this.goaway)}` : lost,
          );
        }
        // An end with no trailers after headers; without headers it can only be a RST_STREAM (NO_ERROR).
        if (ended && response && rstCode === constants.NGHTTP2_NO_ERROR) {
          return fail(GrpcCode.INTERNAL, 'server closed the stream without sending trailers');
        }
        let code = rstToGrpc(rstCode);
        // A CANCEL after our deadline passed was most likely caused by it (grpc-go's rule).
        if (code === GrpcCode.CANCELLED && Date.now() >= deadline) code = GrpcCode.DEADLINE_EXCEEDED;
        fail(code, `stream terminated by RST_STREAM with error code: ${h2ErrorName(rstCode)}`);
      });
      stream.end(frame);
    });
  }
}

/** node:zlib, loaded only with `-gzip` (or a compressed answer). */
const zlib = () => process.getBuiltinModule('node:zlib');
function gzipSync(data: Uint8Array): Uint8Array {
  return zlib().gzipSync(data);
}

/** The `grpc-timeout` value: the smallest unit that keeps it within 8 digits, rounded up. */
export function grpcTimeout(ms: number): string {
  const ns = BigInt(Math.max(0, Math.ceil(ms * 1e6)));
  for (const [unit, size] of [
    ['n', 1n],
    ['u', 1_000n],
    ['m', 1_000_000n],
    ['S', 1_000_000_000n],
    ['M', 60_000_000_000n],
  ] as const) {
    const value = (ns + size - 1n) / size;
    if (value <= 99_999_999n) return `${value}${unit}`;
  }
  return `${(ns + 3_600_000_000_000n - 1n) / 3_600_000_000_000n}H`;
}

/** A response that is not gRPC (HTTP status not 200, or another content type): its code and grpc-go's description. */
function notGrpc(head: IncomingHttpHeaders): { code: number; details: string } | undefined {
  const contentType = String(head['content-type'] ?? '').toLowerCase();
  const grpc = contentType === 'application/grpc' || /^application\/grpc[+;]/.test(contentType);
  if (grpc) return undefined;
  const status = Number(head[':status']);
  // node:http only on this path: importing it as ESM loads its lazy exports (undici), ~5 ms.
  const text = process.getBuiltinModule('node:http').STATUS_CODES[status] ?? '';
  const errors = [`unexpected HTTP status code received from server: ${status} (${text})`];
  errors.push(
    head['content-type'] === undefined
      ? 'malformed header: missing HTTP content-type'
      : `transport: received unexpected content-type ${JSON.stringify(head['content-type'])}`,
  );
  return { code: HTTP_TO_GRPC[status] ?? GrpcCode.UNKNOWN, details: errors.join('; ') };
}

/** doc/http-grpc-status-mapping.md. */
const HTTP_TO_GRPC: Readonly<Record<number, number>> = {
  400: GrpcCode.INTERNAL,
  401: GrpcCode.UNAUTHENTICATED,
  403: GrpcCode.PERMISSION_DENIED,
  404: GrpcCode.UNIMPLEMENTED,
  429: GrpcCode.UNAVAILABLE,
  502: GrpcCode.UNAVAILABLE,
  503: GrpcCode.UNAVAILABLE,
  504: GrpcCode.UNAVAILABLE,
};

/** HTTP/2 error code names (RFC 9113 §7), as grpc-go prints them. */
const H2_ERROR_NAMES = [
  'NO_ERROR',
  'PROTOCOL_ERROR',
  'INTERNAL_ERROR',
  'FLOW_CONTROL_ERROR',
  'SETTINGS_TIMEOUT',
  'STREAM_CLOSED',
  'FRAME_SIZE_ERROR',
  'REFUSED_STREAM',
  'CANCEL',
  'COMPRESSION_ERROR',
  'CONNECT_ERROR',
  'ENHANCE_YOUR_CALM',
  'INADEQUATE_SECURITY',
  'HTTP_1_1_REQUIRED',
];

function h2ErrorName(code: number): string {
  return H2_ERROR_NAMES[code] ?? `unknown error code 0x${code.toString(16)}`;
}

/** RST_STREAM's code → the gRPC code (PROTOCOL-HTTP2.md's table; FLOW_CONTROL_ERROR as grpc-go maps it). */
export function rstToGrpc(code: number): number {
  switch (code) {
    case constants.NGHTTP2_REFUSED_STREAM:
      return GrpcCode.UNAVAILABLE;
    case constants.NGHTTP2_CANCEL:
      return GrpcCode.CANCELLED;
    case constants.NGHTTP2_ENHANCE_YOUR_CALM:
    case constants.NGHTTP2_FLOW_CONTROL_ERROR:
      return GrpcCode.RESOURCE_EXHAUSTED;
    case constants.NGHTTP2_INADEQUATE_SECURITY:
      return GrpcCode.PERMISSION_DENIED;
    default:
      return code < H2_ERROR_NAMES.length ? GrpcCode.INTERNAL : GrpcCode.UNKNOWN;
  }
}

function goawayText(goaway: { code: number; debug: Buffer }): string {
  const code = `code: ${h2ErrorName(goaway.code)}`;
  return goaway.debug.length === 0 ? code : `${code}, debug data: ${JSON.stringify(goaway.debug.toString('latin1'))}`;
}

/** `grpc-status` and the percent-decoded `grpc-message`. */
function readStatus(headers: IncomingHttpHeaders): { code: number; details: string } {
  const details = percentDecode(String(headers['grpc-message'] ?? ''));
  // No grpc-status at all: UNKNOWN, as grpc-go reads it.
  if (headers['grpc-status'] === undefined) return { code: GrpcCode.UNKNOWN, details };
  const text = String(headers['grpc-status']);
  const code = /^[+-]?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(code) || code < -(2 ** 31) || code >= 2 ** 31) {
    const why = Number.isNaN(code) ? 'invalid syntax' : 'value out of range';
    return {
      code: GrpcCode.UNKNOWN,
      details: `transport: malformed grpc-status: strconv.ParseInt: parsing ${JSON.stringify(text)}: ${why}`,
    };
  }
  return { code: code >>> 0, details };
}

/** grpc-message's percent-encoding (PROTOCOL-HTTP2.md): `%XX` is a byte; anything else stays as it is. */
function percentDecode(text: string): string {
  if (!text.includes('%')) return text;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const hex = text[i] === '%' ? text.slice(i + 1, i + 3) : '';
    if (/^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(text.charCodeAt(i) & 0xff);
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The one response message of an OK call, as a status name; or why it cannot be read. */
function readResponse(body: Buffer, encodingHeader: string | string[] | undefined): string | CallError {
  if (body.length === 0)
    return new CallError(GrpcCode.INTERNAL, 'cardinality violation: received no response message from non-server-streaming RPC');
  if (body.length < 5 || body.length < 5 + body.readUInt32BE(1)) return new CallError(GrpcCode.INTERNAL, 'unexpected EOF');
  const length = body.readUInt32BE(1);
  if (body.length > 5 + length) {
    return new CallError(GrpcCode.INTERNAL, CARDINALITY_MANY);
  }
  let message: Uint8Array = body.subarray(5);
  const flag = body[0]!;
  const encoding = String(encodingHeader ?? '');
  if (flag > 1) return new CallError(GrpcCode.INTERNAL, `grpc: received unexpected payload format ${flag}`);
  if (flag === 1) {
    if (encoding === '' || encoding === 'identity') {
      return new CallError(GrpcCode.INTERNAL, 'grpc: compressed flag set with identity or empty encoding');
    }
    if (encoding !== 'gzip')
      return new CallError(GrpcCode.INTERNAL, `grpc: Decompressor is not installed for grpc-encoding ${JSON.stringify(encoding)}`);
    try {
      message = zlib().gunzipSync(message, { maxOutputLength: MAX_MESSAGE_BYTES });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        return new CallError(
          GrpcCode.RESOURCE_EXHAUSTED,
          `grpc: received message after decompression larger than max ${MAX_MESSAGE_BYTES}`,
        );
      }
      return new CallError(GrpcCode.INTERNAL, `grpc: failed to decompress the received message: ${(error as Error).message}`);
    }
  }
  try {
    const status = HealthCheckResponse.decode(message).status;
    // A number this version does not name prints as the number, as Go's enum String() does.
    return (status >= 0 && HealthCheckResponse_ServingStatus[status]) || String(status);
  } catch {
    return new CallError(GrpcCode.INTERNAL, 'grpc: failed to unmarshal the received message: proto: cannot parse invalid wire-format data');
  }
}
