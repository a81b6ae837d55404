/**
 * The Connect-ES adapter: `grpc.health.v1.Health` (Check, Watch, List) as a
 * Connect service implementation over the health core.
 *
 * One router serves it over gRPC, gRPC-Web and the Connect protocol. The rules
 * (NOT_FOUND, SERVICE_UNKNOWN, latest-wins, caps, shutdown) are the core's; this
 * module only maps statuses to messages and core refusals to `ConnectError`s.
 */
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, type ConnectRouter, type ServiceImpl } from '@connectrpc/connect';
import { HealthRequestError } from '../../errors.js';
import {
  Health,
  type HealthCheckResponse,
  HealthCheckResponseSchema,
  type HealthListResponse,
  HealthListResponseSchema,
} from '../../generated/grpc/health/v1/health_pb.js';
import type { HealthServer } from '../../server/health-server.js';
import { SERVING_STATUSES, type ServingStatus } from '../../status.js';

// Four possible replies: made once, shared by every call. SERVING_STATUSES is in wire order.
const RESPONSES = Object.fromEntries(
  SERVING_STATUSES.map((name, wire) => [name, create(HealthCheckResponseSchema, { status: wire })]),
) as Readonly<Record<ServingStatus, HealthCheckResponse>>;

/** A core refusal as the Connect error with the same code; anything else passes through. */
function toConnectError(error: unknown): unknown {
  if (error instanceof HealthRequestError) return new ConnectError(error.details, error.code as number as Code);
  return error;
}

/**
 * The implementation of `grpc.health.v1.Health` over `health`, for
 * `router.service(Health, healthServiceImpl(health))`.
 */
export function healthServiceImpl(health: HealthServer): ServiceImpl<typeof Health> {
  return {
    check(request) {
      try {
        return RESPONSES[health.check(request.service)];
      } catch (error) {
        throw toConnectError(error);
      }
    },

    list() {
      let listed: Map<string, ServingStatus>;
      try {
        listed = health.list();
      } catch (error) {
        throw toConnectError(error);
      }
      // No prototype: a service named "__proto__" is a key like any other.
      const statuses = Object.create(null) as HealthListResponse['statuses'];
      for (const [service, status] of listed) statuses[service] = RESPONSES[status];
      return create(HealthListResponseSchema, { statuses });
    },

    async *watch(request, context) {
      let statuses: AsyncIterableIterator<ServingStatus>;
      try {
        // The call's signal ends the watch when the client goes away or the server stops it.
        statuses = health.watch(request.service, { signal: context.signal });
      } catch (error) {
        throw toConnectError(error);
      }
      try {
        // connect-node awaits each write (HTTP/2 back-pressure) before pulling the
        // next status, so a stalled reader gets the newest one, never a queue.
        for await (const status of statuses) yield RESPONSES[status];
      } catch (error) {
        throw toConnectError(error);
      } finally {
        await statuses.return?.();
      }
    },
  };
}

/**
 * Registers `grpc.health.v1.Health` on a Connect router, served over gRPC,
 * gRPC-Web and Connect by `@connectrpc/connect-node` (or the Fastify, Express
 * and Next.js adapters). Returns the router.
 *
 * ```ts
 * http2.createServer(connectNodeAdapter({ routes: (router) => addHealthService(router, health) }));
 * ```
 */
export function addHealthService(router: ConnectRouter, health: HealthServer): ConnectRouter {
  return router.service(Health, healthServiceImpl(health));
}
