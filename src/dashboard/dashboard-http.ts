/**
 * The dashboard's HTTP side: the page (`/`), the state as JSON (`/api/state`),
 * live updates as Server-Sent Events (`/events`) and Prometheus metrics
 * (`/metrics`). Everything the page needs is served from here: no CDN.
 *
 * Updates are coalesced: a change goes out on the next turn of the event loop,
 * and while changes keep coming, at most one event per flush interval carries
 * every backend that changed. A client that does not keep up (its socket buffer full) gets no
 * queue: it is marked stale and receives one fresh snapshot when it drains.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
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
}

/** A running dashboard server. */
export interface DashboardHttp {
  /** The URL of the page. */
  readonly url: string;
  readonly port: number;
  /** Ends every event stream and closes the server; always settles within `closeTimeoutMs` (+ a little). */
  close(): Promise<void>;
}

// Unsent bytes an event stream may hold before its client counts as not keeping up.
const MAX_BACKLOG_BYTES = 8 * 2 ** 20;

// How often round-trip-time-only changes are sent.
const RTT_FLUSH_MS = 1000;

// A comment line every so often keeps proxies from timing an idle stream out.
const HEARTBEAT_MS = 15_000;

interface EventClient {
  response: ServerResponse;
  stale: boolean;
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

/** Serves `state` over HTTP. */
export async function startDashboardHttp(state: FleetState, options: DashboardHttpOptions = {}): Promise<DashboardHttp> {
  const { host = '127.0.0.1', port = 8080, flushMs = 25, closeTimeoutMs = 1000 } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new HealthArgumentError(`port must be an integer from 0 to 65535, got ${String(port)}`);
  for (const [name, value] of [
    ['flushMs', flushMs],
    ['closeTimeoutMs', closeTimeoutMs],
  ] as const) {
    if (!Number.isFinite(value) || value < 0 || value > 60_000)
      throw new HealthArgumentError(`${name} must be from 0 to 60000 ms, got ${String(value)}`);
  }

  const clients = new Set<EventClient>();
  const dirty = new Map<string, FleetBackend | undefined>();
  let flushTimer: NodeJS.Timeout | NodeJS.Immediate | undefined;

  const writeEvent = (client: EventClient, event: string, data: unknown): void => {
    if (client.stale) return;
    // A write over the socket's high-water mark is normal (a snapshot is large); a backlog is not.
    if (
      !client.response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`) &&
      client.response.writableLength > MAX_BACKLOG_BYTES
    ) {
      client.stale = true;
    }
  };
  const flush = (): void => {
    flushTimer = undefined;
    const changed = [...dirty].map(([address, backend]) => backend ?? { address, removed: true });
    dirty.clear();
    const payload = { counts: state.counts(), backends: changed };
    for (const client of clients) writeEvent(client, 'update', payload);
  };
  let lastFlushAt = 0;
  const flushNow = (): void => {
    lastFlushAt = performance.now();
    clearTimeout(rttTimer);
    rttTimer = undefined;
    flush();
  };
  const scheduleFlush = (): void => {
    if (flushTimer) return;
    // A lone change goes out on the next turn (changes made together still share it);
    // under a stream of changes, at most one event per flushMs.
    const wait = Math.max(0, lastFlushAt + flushMs - performance.now());
    flushTimer = wait === 0 ? setImmediate(flushNow) : setTimeout(flushNow, wait);
  };
  // Round-trip times change on every probe (a thousand backends: hundreds a second);
  // they ride along with the next status change, or go out once a second.
  let rttTimer: NodeJS.Timeout | undefined;
  const unsubscribe = state.onBackendChange((backend, address, change) => {
    dirty.set(address, backend);
    if (change !== 'rtt') scheduleFlush();
    else if (!flushTimer) rttTimer ??= setTimeout(scheduleFlush, RTT_FLUSH_MS);
  });
  const heartbeat = setInterval(() => {
    for (const client of clients) if (!client.stale) client.response.write(': heartbeat\n\n');
  }, HEARTBEAT_MS);
  heartbeat.unref();

  const openEvents = (request: IncomingMessage, response: ServerResponse): void => {
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    const client: EventClient = { response, stale: false };
    clients.add(client);
    response.write('retry: 2000\n\n');
    writeEvent(client, 'snapshot', state.snapshot());
    response.on('drain', () => {
      if (!client.stale) return;
      client.stale = false;
      writeEvent(client, 'snapshot', state.snapshot());
    });
    const forget = (): void => {
      clients.delete(client);
    };
    request.on('close', forget);
    response.on('error', forget);
  };

  const server: Server = createServer((request, response) => {
    try {
      // The path alone, read without URL parsing: any target the parser let through gets an answer.
      const path = (request.url ?? '/').split('?', 1)[0]!;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.setHeader('allow', 'GET, HEAD');
        send(response, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
      } else if (path === '/' || path === '/index.html') {
        send(response, 200, 'text/html; charset=utf-8', DASHBOARD_PAGE);
      } else if (path === '/api/state') {
        send(response, 200, 'application/json', JSON.stringify(state.snapshot()));
      } else if (path === '/metrics') {
        send(response, 200, 'text/plain; version=0.0.4; charset=utf-8', fleetMetricsText(state.snapshot()));
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
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${bound}/`,
    port: bound,
    close() {
      closing ??= new Promise<void>((resolve) => {
        unsubscribe();
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
