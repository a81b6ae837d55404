/**
 * The dashboard's HTTP side: the page (`/`), the state as JSON (`/api/state`),
 * live updates as Server-Sent Events (`/events`) and Prometheus metrics
 * (`/metrics`). Everything the page needs is served from here: no CDN.
 *
 * Updates are coalesced: a change goes out on the next turn of the event loop,
 * and while changes keep coming, at most one event per flush interval carries
 * every backend that changed. Round-trip times alone (most changes: every probe
 * of every backend) go out once a second as one compact `rtt` event of
 * `[address, service, rttMs | null]` tuples, not as whole backends. Nothing is
 * queued per client beyond its socket's buffer: a client whose backlog passes
 * about one snapshot, or whose socket has not drained for a while, is dropped
 * (its EventSource reconnects and starts from a fresh snapshot), and the number
 * of event streams is capped.
 *
 * Every request must name this server in `Host` (its listening address,
 * `localhost`, or an allowed name) so a DNS-rebinding page cannot read the
 * fleet; every response carries a strict Content-Security-Policy.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { HealthArgumentError } from '../errors.js';
import { fleetMetricsText } from './fleet-metrics.js';
import type { FleetBackend, FleetState } from './fleet-state.js';
import { DASHBOARD_PAGE } from './page.js';

/** Options of {@link startDashboardHttp}. */
export interface DashboardHttpOptions {
  /** Address to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port; 0 picks a free one. Default 8080. */
  port?: number;
  /** Shortest gap between two update events, ms: changes within it are sent together. Default 25. */
  flushMs?: number;
  /** How long {@link DashboardHttp.close} waits for connections before cutting them, ms. Default 1000. */
  closeTimeoutMs?: number;
  /** Event streams (`/events`) open at once; one more is answered 503. Default 256. */
  maxEventStreams?: number;
  /**
   * Host names (as in the `Host` header, without port) accepted besides the
   * listening address and `localhost`: the names operators and Prometheus use to
   * reach the dashboard. Any other `Host` is answered 421.
   */
  allowedHosts?: readonly string[];
}

/** A running dashboard server. */
export interface DashboardHttp {
  /** The URL of the page. */
  readonly url: string;
  readonly port: number;
  /** Event streams open now, and the bytes their sockets still hold unsent. */
  eventStreams(): { open: number; bufferedBytes: number };
  /** Ends every event stream and closes the server; always settles within `closeTimeoutMs` (+ a little). */
  close(): Promise<void>;
}

// Unsent bytes an event stream may hold beyond its snapshot (or the event being
// written, if larger) before it is dropped: room for a few small updates while a
// large event drains.
const BACKLOG_SLACK_BYTES = 256 * 1024;

// A stream whose socket has not drained for this long is dropped (checked at each heartbeat).
const STALL_MS = 30_000;

// How often round-trip-time-only changes are sent (as one `rtt` event).
const RTT_FLUSH_MS = 1000;

/** One round-trip time of an `rtt` event: `null` when the last Check failed. */
export type RttTuple = [address: string, service: string, rttMs: number | null];

// A comment line every so often keeps proxies from timing an idle stream out.
const HEARTBEAT_MS = 15_000;

// What a client is told to wait before trying again when the event streams are full, s.
const RETRY_AFTER_S = 10;

interface EventClient {
  response: ServerResponse;
  /** Unsent bytes allowed: the last snapshot sent plus some slack. */
  allowance: number;
  /** When a write last found the socket full, until it drains. */
  stalledSince?: number;
}

/** `sha256-…` sources for every inline `<script>` or `<style>` element of a page. */
function inlineHashes(page: string, tag: 'script' | 'style'): string[] {
  const hashes = new Set<string>();
  for (const match of page.matchAll(new RegExp(`<${tag}(\\s[^>]*)?>([\\s\\S]*?)</${tag}>`, 'gi'))) {
    if (/\ssrc\s*=/i.test(match[1] ?? '')) continue; // external: none is served
    hashes.add(`'sha256-${createHash('sha256').update(match[2]!).digest('base64')}'`);
  }
  return [...hashes];
}

/**
 * The page's Content-Security-Policy: nothing but its own inline script and
 * style (by hash, computed from the page itself so it follows the page), and
 * connections back to this server. Backend-controlled text reaches the page; the
 * page escapes it, and this policy is the second line.
 */
export function dashboardContentSecurityPolicy(page: string = DASHBOARD_PAGE): string {
  const sources = (hashes: string[]) => (hashes.length > 0 ? hashes.join(' ') : "'none'");
  return [
    "default-src 'none'",
    `script-src ${sources(inlineHashes(page, 'script'))}`,
    `style-src ${sources(inlineHashes(page, 'style'))}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** Headers every response carries. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': dashboardContentSecurityPolicy(),
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
});

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  response.end(body); // for HEAD, Node sends the headers only
}

/** The host name of a `Host` header, lower case, without port, brackets or a final dot; `undefined` if malformed. */
function hostName(header: string): string | undefined {
  const match = /^(?:\[([0-9a-f:.]+(?:%[\w.~-]+)?)\]|([^:[\]\s/@]+))(?::\d{0,5})?$/i.exec(header.trim());
  if (!match) return undefined;
  return (match[1] ?? match[2]!).toLowerCase().replace(/\.$/, '');
}

/**
 * The host a request names and the path it asks for. A request target in
 * absolute form (`GET http://host:port/path`, as sent to a proxy) names the host
 * itself, and then `Host` is ignored (RFC 9112 §3.2.2); otherwise `Host` names
 * it. The path is read without URL parsing: any target the parser let through
 * gets an answer.
 */
function requestTarget(request: IncomingMessage): { host: string | undefined; path: string } {
  const url = request.url ?? '/';
  const absolute = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)([^#]*)/i.exec(url);
  if (absolute) return { host: absolute[1]!, path: (absolute[2] || '/').split('?', 1)[0] || '/' };
  return { host: request.headers.host, path: url.split('?', 1)[0]! };
}

/**
 * Answers a request the HTTP parser refused, as Node's own handler would (431
 * for headers too large, 408 for a timeout, 400 otherwise), but only when no
 * response is under way on the socket: bytes written into an open event stream
 * would corrupt it. Then the socket is closed.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  // Node removed its own error listener before this event: a reset while we
  // answer must not become an uncaught exception.
  socket.on('error', () => {});
  // Node's default handler asks the same question of the same field.
  const current = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (socket.writable && error.code !== 'ECONNRESET' && !current?.headersSent) {
    const status =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? '431 Request Header Fields Too Large'
        : error.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW'
          ? '413 Payload Too Large'
          : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? '408 Request Timeout'
            : '400 Bad Request';
    replyAndClose(socket, status);
  } else {
    socket.destroy();
  }
}

/** Writes a reply with no body on a socket Node handed over, then closes it. */
function replyAndClose(socket: Duplex, status: string, headers = ''): void {
  // Closed once written: a client that never reads or closes must not keep it.
  socket.end(`HTTP/1.1 ${status}\r\n${headers}content-length: 0\r\nconnection: close\r\n\r\n`, () => socket.destroy());
}

/**
 * Answers `CONNECT` (a proxy's method, which Node hands over as a raw socket
 * and would otherwise close unanswered) with 405.
 */
function answerConnect(_request: IncomingMessage, socket: Duplex): void {
  socket.on('error', () => {});
  if (socket.writable) replyAndClose(socket, '405 Method Not Allowed', 'allow: GET, HEAD\r\n');
  else socket.destroy();
}

/** Serves `state` over HTTP. */
export async function startDashboardHttp(state: FleetState, options: DashboardHttpOptions = {}): Promise<DashboardHttp> {
  const { host = '127.0.0.1', port = 8080, flushMs = 25, closeTimeoutMs = 1000, maxEventStreams = 256, allowedHosts = [] } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new HealthArgumentError(`port must be an integer from 0 to 65535, got ${String(port)}`);
  for (const [name, value] of [
    ['flushMs', flushMs],
    ['closeTimeoutMs', closeTimeoutMs],
  ] as const) {
    if (!Number.isFinite(value) || value < 0 || value > 60_000)
      throw new HealthArgumentError(`${name} must be from 0 to 60000 ms, got ${String(value)}`);
  }
  if (!Number.isInteger(maxEventStreams) || maxEventStreams < 1 || maxEventStreams > 100_000)
    throw new HealthArgumentError(`maxEventStreams must be an integer from 1 to 100000, got ${String(maxEventStreams)}`);
  const allowedNames = new Set(['localhost']);
  for (const name of [host, ...allowedHosts]) {
    const normal = typeof name !== 'string' ? undefined : isIP(name) === 6 ? name.toLowerCase() : hostName(name);
    if (normal === undefined) throw new HealthArgumentError(`allowed host ${JSON.stringify(name)} is not a host name`);
    allowedNames.add(normal);
  }
  // Set once listening: a wildcard address (0.0.0.0, ::) is reached by any of the machine's addresses.
  let anyAddress = false;
  const hostAllowed = (header: string | undefined): boolean => {
    if (header === undefined) return true; // HTTP/1.0 without Host: no browser sends that
    const name = hostName(header);
    if (name === undefined) return false;
    return allowedNames.has(name) || (anyAddress && isIP(name) !== 0);
  };

  const clients = new Set<EventClient>();
  const dirty = new Map<string, FleetBackend | undefined>();
  let flushTimer: NodeJS.Timeout | NodeJS.Immediate | undefined;

  const drop = (client: EventClient): void => {
    clients.delete(client);
    client.response.destroy(); // frees what the socket still holds
  };
  const writeEvent = (client: EventClient, text: string): void => {
    if (!clients.has(client)) return;
    // A write over the socket's high-water mark is normal (a snapshot, a burst of
    // changes); a backlog of more than about one of them is a client not reading.
    if (client.response.write(text)) return;
    if (client.response.writableLength > Math.max(client.allowance, Buffer.byteLength(text) + BACKLOG_SLACK_BYTES)) drop(client);
    else client.stalledSince ??= Date.now();
  };
  const eventText = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
  const broadcast = (text: string): void => {
    for (const client of clients) writeEvent(client, text);
  };
  const flush = (): void => {
    flushTimer = undefined;
    lastFlushAt = performance.now();
    const changed = [...dirty].map(([address, backend]) => {
      rttDirty.delete(address); // the whole backend carries its round-trip times
      return backend ?? { address, removed: true };
    });
    dirty.clear();
    if (clients.size > 0) broadcast(eventText('update', { counts: state.counts(), backends: changed }));
  };
  // Read when sent, so an event never carries a time older than one sent before it.
  const flushRtt = (): void => {
    rttTimer = undefined;
    const tuples: RttTuple[] = [];
    for (const address of rttDirty) {
      const backend = state.backend(address);
      if (!backend) continue; // its removal went out as an update
      for (const [service, cell] of Object.entries(backend.cells)) tuples.push([address, service, cell.rttMs ?? null]);
    }
    rttDirty.clear();
    if (clients.size > 0 && tuples.length > 0) broadcast(eventText('rtt', tuples));
  };
  let lastFlushAt = 0;
  const scheduleFlush = (): void => {
    if (flushTimer) return;
    // A lone change goes out on the next turn (changes made together still share it);
    // under a stream of changes, at most one event per flushMs.
    const wait = Math.max(0, lastFlushAt + flushMs - performance.now());
    flushTimer = wait === 0 ? setImmediate(flush) : setTimeout(flush, wait);
  };
  // Round-trip times change on every probe (a thousand backends: hundreds a second):
  // once a second, the backends whose times changed, by address only.
  const rttDirty = new Set<string>();
  let rttTimer: NodeJS.Timeout | undefined;
  const unsubscribe = state.onBackendChange((backend, address, change) => {
    if (change === 'rtt') {
      if (dirty.has(address)) return; // the whole backend goes out anyway
      rttDirty.add(address);
      rttTimer ??= setTimeout(flushRtt, RTT_FLUSH_MS);
      return;
    }
    dirty.set(address, backend);
    scheduleFlush();
  });
  // Target rows change rarely (once per resolution): each goes out as it comes.
  const unsubscribeTargets = state.onTargetChange((target) => {
    if (clients.size > 0) broadcast(eventText('target', target));
  });
  const heartbeat = setInterval(() => {
    const now = Date.now();
    for (const client of clients) {
      if (client.stalledSince !== undefined && now - client.stalledSince >= STALL_MS) drop(client);
      else writeEvent(client, ': heartbeat\n\n');
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();

  const openEvents = (request: IncomingMessage, response: ServerResponse): void => {
    if (clients.size >= maxEventStreams) {
      response.setHeader('retry-after', String(RETRY_AFTER_S));
      send(response, 503, 'text/plain; charset=utf-8', `too many event streams open (${maxEventStreams}); try again later\n`);
      return;
    }
    if (request.method === 'HEAD') {
      // Headers only, and the connection kept or closed as the client asked.
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      response.end();
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    const snapshot = eventText('snapshot', state.snapshot());
    const client: EventClient = { response, allowance: Buffer.byteLength(snapshot) + BACKLOG_SLACK_BYTES };
    clients.add(client);
    response.write('retry: 2000\n\n');
    writeEvent(client, snapshot);
    response.on('drain', () => {
      client.stalledSince = undefined;
    });
    const forget = (): void => {
      clients.delete(client);
    };
    request.on('close', forget);
    response.on('close', forget);
    response.on('error', forget);
  };

  const server: Server = createServer((request, response) => {
    try {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
      const { host: named, path } = requestTarget(request);
      if (!hostAllowed(named)) {
        const shown = JSON.stringify(String(named).slice(0, 100));
        send(
          response,
          421,
          'text/plain; charset=utf-8',
          `Host ${shown} is not served here: use the listening address or localhost, or allow the name (-allow-host)\n`,
        );
      } else if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.setHeader('allow', 'GET, HEAD');
        send(response, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
      } else if (path === '/' || path === '/index.html') {
        send(response, 200, 'text/html; charset=utf-8', DASHBOARD_PAGE);
      } else if (path === '/api/state') {
        send(response, 200, 'application/json', JSON.stringify(state.snapshot()));
      } else if (path === '/metrics') {
        const snapshot = state.snapshot();
        send(response, 200, 'text/plain; version=0.0.4; charset=utf-8', fleetMetricsText(snapshot));
      } else if (path === '/events') {
        openEvents(request, response);
      } else {
        send(response, 404, 'text/plain; charset=utf-8', 'not found\n');
      }
    } catch {
      if (!response.headersSent) send(response, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else response.destroy();
    }
  });
  server.on('clientError', answerClientError);
  server.on('connect', answerConnect);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const bound = address.port;
  allowedNames.add(address.address.toLowerCase());
  anyAddress = address.address === '0.0.0.0' || address.address === '::';
  const shownHost = host.includes(':') ? `[${host}]` : host;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${bound}/`,
    port: bound,
    eventStreams() {
      let bufferedBytes = 0;
      for (const client of clients) bufferedBytes += client.response.writableLength;
      return { open: clients.size, bufferedBytes };
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        unsubscribe();
        unsubscribeTargets();
        clearTimeout(flushTimer as NodeJS.Timeout);
        clearImmediate(flushTimer as NodeJS.Immediate);
        clearTimeout(rttTimer);
        clearInterval(heartbeat);
        for (const client of clients) client.response.end();
        clients.clear();
        const cut = setTimeout(() => server.closeAllConnections(), closeTimeoutMs);
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
