/**
 * The HTTP view on a port of its own (Node's `http` module only), for load
 * balancers and Kubernetes HTTP probes that cannot speak gRPC. The paths and
 * answers are those of {@link healthHttpHandler}.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { DependencyChecks } from '../checks/dependency-checks.js';
import { HealthArgumentError } from '../errors.js';
import { checkOptions, optionNames, portOption } from '../options.js';
import { shownValue } from '../shown-value.js';
import type { HealthServer } from '../server/health-server.js';
import { healthHttpHandler } from './health-http-handler.js';

/** Default of {@link HealthHttpOptions.closeTimeoutMs}. */
export const DEFAULT_HTTP_CLOSE_TIMEOUT_MS = 2000;

/** Options of {@link startHealthHttp}. */
export interface HealthHttpOptions {
  /** TCP port to listen on, an integer in [0, 65535]; 0 for any free port. A string is refused. */
  port: number;
  /** Address to listen on. Default `127.0.0.1`; use `0.0.0.0` for probes from outside the host. */
  host?: string;
  /** Checks to list in verbose answers. */
  checks?: DependencyChecks;
  /**
   * How long {@link HealthHttpServer.close} lets requests in progress finish before
   * it cuts every connection, ms. Default {@link DEFAULT_HTTP_CLOSE_TIMEOUT_MS}.
   */
  closeTimeoutMs?: number;
}

/** A running HTTP view. */
export interface HealthHttpServer {
  /** The port it listens on. */
  port: number;
  /** The node http server. */
  server: Server;
  /**
   * Stops listening, closes idle connections at once, and after `closeTimeoutMs`
   * every other one (a stalled or half-sent request included). Resolves when all are closed.
   */
  close(): Promise<void>;
}

// A probe sends a few hundred bytes at once: a request still incomplete after this is stalled.
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 10_000;

const OPTION_NAMES = optionNames<HealthHttpOptions>({ port: true, host: true, checks: true, closeTimeoutMs: true });

/**
 * Starts the HTTP view of `health`.
 * @throws {@link HealthArgumentError} (as a rejection) for an unknown option or a bad value.
 */
export async function startHealthHttp(health: HealthServer, options: HealthHttpOptions): Promise<HealthHttpServer> {
  checkOptions('startHealthHttp options', options ?? null, OPTION_NAMES);
  const port = portOption('port', options.port);
  if (options.host !== undefined && (typeof options.host !== 'string' || options.host === '')) {
    throw new HealthArgumentError(`host must be a non-empty string, got ${shownValue(options.host)}`);
  }
  const closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_HTTP_CLOSE_TIMEOUT_MS;
  if (typeof closeTimeoutMs !== 'number' || !(closeTimeoutMs >= 0 && closeTimeoutMs <= 2 ** 31 - 1)) {
    throw new HealthArgumentError(`closeTimeoutMs must be a number of milliseconds in [0, 2^31-1], got ${shownValue(closeTimeoutMs)}`);
  }
  const handler = healthHttpHandler(health, { checks: options.checks });
  const server = createServer({ headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS }, (request, response) =>
    handler(request, response),
  );
  // CONNECT comes as a raw socket, which Node closes unanswered when no one listens: answered 405 as the handler does.
  server.on('connect', (_request: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => {});
    socket.end('HTTP/1.1 405 Method Not Allowed\r\nallow: GET, HEAD\r\ncontent-length: 0\r\nconnection: close\r\n\r\n', () =>
      socket.destroy(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  let closing: Promise<void> | undefined;
  return {
    port: typeof address === 'object' && address ? address.port : port,
    server,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        // server.close() also stops Node's checker of headersTimeout and requestTimeout,
        // so a half-sent request would hold it forever: cut what remains after the bound.
        const cut = setTimeout(() => server.closeAllConnections(), closeTimeoutMs);
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      })),
  };
}
