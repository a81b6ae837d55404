/**
 * The nice-grpc adapter: `grpc.health.v1.Health` (Check, Watch, List) as a
 * nice-grpc service implementation over the health core.
 *
 * The protocol rules live in {@link HealthServer} (`check`, `list`, `watch`); this
 * file only turns its answers into nice-grpc's: statuses into messages, a
 * {@link HealthRequestError} into a `ServerError` with the same code. Watch is an
 * async generator reading `health.watch(service, { signal })` with the call's
 * AbortSignal, so a cancelled call leaves the core's registry at once; nice-grpc
 * pulls the next status only once the previous one was written and drained, and
 * the core keeps only the newest in between (latest wins under a slow reader).
 */
import { type CallContext, type Server, ServerError, type ServiceImplementation } from 'nice-grpc';
import type { StoppableServer } from '../../drain.js';
import { HealthArgumentError, HealthRequestError } from '../../errors.js';
import type {
  HealthCheckRequest,
  HealthCheckResponse,
  HealthListRequest,
  HealthListResponse,
} from '../../generated/grpc/health/v1/health.js';
import type { HealthServer } from '../../server/health-server.js';
import { CACHED_HEALTH_SERVICE, RESPONSES } from '../../server/responses.js';

/**
 * `grpc.health.v1.Health` for `server.add(HealthDefinition, niceHealth(health))`:
 * the generated grpc-js definition (which nice-grpc accepts), with cached reply encodings.
 */
export const HealthDefinition = CACHED_HEALTH_SERVICE;

/** The implementation type nice-grpc expects for {@link HealthDefinition}. */
export type NiceHealthImplementation = ServiceImplementation<typeof HealthDefinition>;

// The core's refusals carry gRPC codes; nice-grpc answers a ServerError with its code.
function toServerError(error: unknown): unknown {
  return error instanceof HealthRequestError ? new ServerError(error.code, error.details) : error;
}

/**
 * The nice-grpc implementation of `grpc.health.v1.Health`, answering from `health`.
 *
 * ```ts
 * const server = createServer();
 * server.add(HealthDefinition, niceHealth(health));
 * ```
 *
 * On shutdown, open Watch calls keep nice-grpc's `server.shutdown()` waiting: call
 * `health.endWatches()` right after starting it (they end with `UNAVAILABLE`).
 */
export function niceHealth(health: HealthServer): NiceHealthImplementation {
  if (typeof health?.watch !== 'function') throw new HealthArgumentError('niceHealth needs a HealthServer');
  return {
    async check(request: HealthCheckRequest): Promise<HealthCheckResponse> {
      try {
        return RESPONSES[health.check(request.service)];
      } catch (error) {
        throw toServerError(error);
      }
    },

    async list(_request: HealthListRequest): Promise<HealthListResponse> {
      let listed: Map<string, keyof typeof RESPONSES>;
      try {
        listed = health.list();
      } catch (error) {
        throw toServerError(error);
      }
      // No prototype: a service named "__proto__" is a key like any other.
      const statuses: HealthListResponse['statuses'] = Object.create(null);
      for (const [service, status] of listed) statuses[service] = RESPONSES[status];
      return { statuses };
    },

    async *watch(request: HealthCheckRequest, context: CallContext): AsyncGenerator<HealthCheckResponse, void> {
      try {
        // Ends when the call is cancelled (signal), the generator is returned, or endWatches() ends it.
        for await (const status of health.watch(request.service, { signal: context.signal })) {
          yield RESPONSES[status];
        }
      } catch (error) {
        throw toServerError(error);
      }
    },
  };
}

/**
 * A nice-grpc server as `gracefulShutdown` and the drain stop it: `tryShutdown` is
 * nice-grpc's `shutdown()`, which waits for open calls.
 *
 * ```ts
 * gracefulShutdown(stoppableNiceServer(server), health, { drainMs: 5000 });
 * ```
 */
export function stoppableNiceServer(server: Server): StoppableServer {
  if (typeof server?.shutdown !== 'function' || typeof server.forceShutdown !== 'function') {
    throw new HealthArgumentError('stoppableNiceServer needs a nice-grpc Server');
  }
  return {
    tryShutdown: (callback) => {
      server.shutdown().then(
        () => callback(),
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
      );
    },
    forceShutdown: () => server.forceShutdown(),
  };
}
