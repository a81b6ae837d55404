/**
 * The HTTP view of the health state as a plain Node request handler, to mount in
 * any HTTP server (Node's `http`, Express, Nest's HTTP side, Fastify through
 * {@link healthHttpFastifyPlugin}) or to run on a port of its own with
 * `startHealthHttp`:
 *
 * - `GET /livez`: 200 while the process answers (liveness must not depend on others).
 * - `GET /readyz`: 200 when `""` (or `?service=name`) is SERVING, else 503 (404 for an unknown service).
 * - `GET /healthz`: 200 when every registered service is SERVING, else 503.
 *
 * Add `?verbose` for a JSON body listing each service and, with checks, each check.
 * Every request gets an answer: 400 for a target that is not a path, 404 for
 * another path, 405 for another method; nothing a client sends throws.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DependencyChecks } from '../checks/dependency-checks.js';
import { HealthArgumentError } from '../errors.js';
import { checkOptions, optionNames } from '../options.js';
import { HealthServer } from '../server/health-server.js';

/** The paths the view answers. */
export const HEALTH_HTTP_PATHS = ['/livez', '/readyz', '/healthz'] as const;

/** One of {@link HEALTH_HTTP_PATHS}. */
export type HealthHttpPath = (typeof HEALTH_HTTP_PATHS)[number];

/** Longest part of a `?service=` name echoed back in a 404; the rest is cut. */
export const MAX_ECHOED_SERVICE_LENGTH = 128;

/** Options of {@link healthHttpHandler} and {@link healthHttpFastifyPlugin}. */
export interface HealthHttpHandlerOptions {
  /** Checks to list in verbose answers. */
  checks?: DependencyChecks;
}

/**
 * A Node request handler. With `next` (Express, Connect-style middleware), a path
 * the view does not answer is passed on instead of answered 404.
 */
export type HealthHttpHandler = (request: IncomingMessage, response: ServerResponse, next?: (error?: unknown) => void) => void;

/** The little of a Fastify instance that {@link healthHttpFastifyPlugin} uses. */
export interface FastifyRouteRegistry {
  route(options: {
    method: string[];
    url: string;
    handler: (request: { raw: IncomingMessage }, reply: { raw: ServerResponse; hijack(): void }) => void;
  }): unknown;
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

function capped(service: string): string {
  return service.length <= MAX_ECHOED_SERVICE_LENGTH ? service : `${service.slice(0, MAX_ECHOED_SERVICE_LENGTH)}…`;
}

function isHealthPath(path: string): path is HealthHttpPath {
  return (HEALTH_HTTP_PATHS as readonly string[]).includes(path);
}

/**
 * Splits an origin-form request target (`/path?query`). Anything else (`*`,
 * `http://host/...`, `host:port`) is `undefined`. Never throws: no URL parsing,
 * and URLSearchParams leaves malformed escapes as they are.
 */
function parseTarget(target: string): { path: string; query: URLSearchParams } | undefined {
  if (!target.startsWith('/')) return undefined;
  const mark = target.indexOf('?');
  if (mark === -1) return { path: target, query: new URLSearchParams() };
  return { path: target.slice(0, mark), query: new URLSearchParams(target.slice(mark + 1)) };
}

class HealthHttpView {
  constructor(
    private readonly health: HealthServer,
    private readonly checks: DependencyChecks | undefined,
  ) {}

  /** Answers `request`; `route` overrides the path (a framework that routed already). */
  serve(request: IncomingMessage, response: ServerResponse, route?: HealthHttpPath, next?: (error?: unknown) => void): void {
    const head = request.method === 'HEAD';
    try {
      const target = parseTarget(request.url ?? '/');
      if (target === undefined) {
        send(response, 400, 'bad request target: expected a path', head);
        return;
      }
      const path = route ?? target.path;
      if (!isHealthPath(path)) {
        if (next) next();
        else send(response, 404, 'not found: try /livez, /readyz or /healthz', head);
        return;
      }
      if (request.method !== 'GET' && !head) {
        response.setHeader('allow', 'GET, HEAD');
        send(response, 405, 'method not allowed', head);
        return;
      }
      this.answer(path, target.query, response, head);
    } catch {
      // A bug of ours or a broken response object: still end the exchange.
      if (!response.headersSent) send(response, 500, 'internal error', head);
      else response.destroy();
    }
  }

  private answer(path: HealthHttpPath, query: URLSearchParams, response: ServerResponse, head: boolean): void {
    const verbose = query.has('verbose');
    const health = this.health;
    const statuses = health.getStatuses();
    const detail = () => ({
      services: Object.fromEntries(statuses),
      shutdown: health.isShutdown,
      ...(this.checks ? { checks: this.checks.results() } : {}),
    });
    switch (path) {
      case '/livez':
        send(response, 200, verbose ? { status: 'ok' } : 'ok', head);
        return;
      case '/readyz': {
        const service = query.get('service') ?? '';
        const status = statuses.get(service);
        if (status === undefined) {
          const echoed = capped(service);
          send(response, 404, verbose ? { service: echoed, status: 'SERVICE_UNKNOWN' } : `unknown service ${JSON.stringify(echoed)}`, head);
          return;
        }
        const ok = status === 'SERVING';
        send(response, ok ? 200 : 503, verbose ? { service, status, ...detail() } : status, head);
        return;
      }
      case '/healthz': {
        const ok = [...statuses.values()].every((status) => status === 'SERVING');
        const status = ok ? 'SERVING' : 'NOT_SERVING';
        send(response, ok ? 200 : 503, verbose ? { status, ...detail() } : status, head);
        return;
      }
    }
  }
}

function createView(health: HealthServer, options: HealthHttpHandlerOptions): HealthHttpView {
  if (!(health instanceof HealthServer)) throw new HealthArgumentError('the HTTP view needs a HealthServer');
  if (typeof options !== 'object' || options === null) throw new HealthArgumentError('HTTP view options must be an object');
  checkOptions('HTTP view options', options, optionNames<HealthHttpHandlerOptions>({ checks: true }));
  if (options.checks !== undefined && !(options.checks instanceof DependencyChecks)) {
    throw new HealthArgumentError('checks must be a DependencyChecks');
  }
  return new HealthHttpView(health, options.checks);
}

/**
 * The HTTP view as a `(request, response[, next])` handler.
 *
 * ```ts
 * import express from 'express';
 * const app = express();
 * app.use(healthHttpHandler(health)); // GET /livez, /readyz, /healthz; other paths go on to next()
 * ```
 *
 * Mounted under a prefix (`app.use('/health', handler)`), it answers
 * `/health/livez` etc., since Express strips the prefix from `request.url`.
 * @throws {@link HealthArgumentError} when `health` is not a HealthServer or `checks` not a DependencyChecks.
 */
export function healthHttpHandler(health: HealthServer, options: HealthHttpHandlerOptions = {}): HealthHttpHandler {
  const view = createView(health, options);
  return (request, response, next) => view.serve(request, response, undefined, next);
}

/**
 * The HTTP view as a Fastify plugin: GET and HEAD routes for `/livez`, `/readyz`
 * and `/healthz` (under the plugin's prefix, if any), answered on the raw
 * response (`reply.hijack()`), so Fastify's serializers are not involved.
 *
 * ```ts
 * import Fastify from 'fastify';
 * const app = Fastify();
 * await app.register(healthHttpFastifyPlugin(health), { prefix: '/health' });
 * ```
 * @throws {@link HealthArgumentError} when `health` is not a HealthServer or `checks` not a DependencyChecks.
 */
export function healthHttpFastifyPlugin(
  health: HealthServer,
  options: HealthHttpHandlerOptions = {},
): (fastify: FastifyRouteRegistry) => Promise<void> {
  const view = createView(health, options);
  return async function healthHttpRoutes(fastify) {
    for (const path of HEALTH_HTTP_PATHS) {
      fastify.route({
        method: ['GET', 'HEAD'],
        url: path,
        handler: (request, reply) => {
          reply.hijack();
          view.serve(request.raw, reply.raw, path);
        },
      });
    }
  };
}
