/**
 * An HTTP view of the health state, for load balancers and Kubernetes HTTP probes
 * that cannot speak gRPC. Node's `http` module only, on a port of its own:
 *
 * - `GET /livez`: 200 while the process answers (liveness must not depend on others).
 * - `GET /readyz`: 200 when `""` (or `?service=name`) is SERVING, else 503 (404 for an unknown service).
 * - `GET /healthz`: 200 when every registered service is SERVING, else 503.
 *
 * Add `?verbose` for a JSON body listing each service and, with checks, each check.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { DependencyChecks } from '../checks/dependency-checks.js';
import type { HealthServer } from '../server/health-server.js';

/** Options of {@link startHealthHttp}. */
export interface HealthHttpOptions {
  /** Port to listen on; 0 for any free port. */
  port: number;
  /** Address to listen on. Default `127.0.0.1`; use `0.0.0.0` for probes from outside the host. */
  host?: string;
  /** Checks to list in verbose answers. */
  checks?: DependencyChecks;
}

/** A running HTTP view. */
export interface HealthHttpServer {
  /** The port it listens on. */
  port: number;
  /** The node http server. */
  server: Server;
  /** Stops listening and closes idle connections. */
  close(): Promise<void>;
}

function send(response: ServerResponse, code: number, body: string | object, head: boolean): void {
  const text = typeof body === 'string' ? `${body}\n` : `${JSON.stringify(body, null, 2)}\n`;
  response.writeHead(code, {
    'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
  });
  response.end(head ? undefined : text);
}

function handle(health: HealthServer, checks: DependencyChecks | undefined, request: IncomingMessage, response: ServerResponse): void {
  const head = request.method === 'HEAD';
  if (request.method !== 'GET' && !head) {
    response.setHeader('allow', 'GET, HEAD');
    send(response, 405, 'method not allowed', head);
    return;
  }
  const url = new URL(request.url ?? '/', 'http://localhost');
  const verbose = url.searchParams.has('verbose');
  const statuses = health.getStatuses();
  const detail = () => ({
    services: Object.fromEntries(statuses),
    shutdown: health.isShutdown,
    ...(checks ? { checks: checks.results() } : {}),
  });
  let ok: boolean;
  switch (url.pathname) {
    case '/livez':
      send(response, 200, verbose ? { status: 'ok' } : 'ok', head);
      return;
    case '/readyz': {
      const service = url.searchParams.get('service') ?? '';
      const status = statuses.get(service);
      if (status === undefined) {
        send(response, 404, verbose ? { service, status: 'SERVICE_UNKNOWN' } : `unknown service ${JSON.stringify(service)}`, head);
        return;
      }
      ok = status === 'SERVING';
      send(response, ok ? 200 : 503, verbose ? { service, status, ...detail() } : status, head);
      return;
    }
    case '/healthz': {
      ok = [...statuses.values()].every((status) => status === 'SERVING');
      send(response, ok ? 200 : 503, verbose ? { status: ok ? 'SERVING' : 'NOT_SERVING', ...detail() } : ok ? 'SERVING' : 'NOT_SERVING', head);
      return;
    }
    default:
      send(response, 404, 'not found: try /livez, /readyz or /healthz', head);
  }
}

/** Starts the HTTP view of `health`. */
export async function startHealthHttp(health: HealthServer, options: HealthHttpOptions): Promise<HealthHttpServer> {
  const server = createServer((request, response) => handle(health, options.checks, request, response));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : options.port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
