/**
 * grpc-health-kit: the gRPC Health Checking Protocol (`grpc.health.v1`) for Node.js.
 *
 * @packageDocumentation
 */
export {
  type ServingStatus,
  SERVING_STATUSES,
  isServingStatus,
  parseServingStatus,
  statusFromWire,
  statusToWire,
} from './status.js';
export { HealthKitError, HealthArgumentError, HealthRpcError } from './errors.js';
export {
  HealthServer,
  type HealthServerOptions,
  type SettableStatus,
  DEFAULT_MAX_LISTED_SERVICES,
  DEFAULT_MAX_UNKNOWN_WATCHERS,
  DEFAULT_MAX_SERVICE_NAME_LENGTH,
} from './server/health-server.js';
export {
  HealthClient,
  type HealthClientOptions,
  type CallOptions,
  type UnaryCallOptions,
  type WatchOptions,
  DEFAULT_TIMEOUT_MS,
} from './client/health-client.js';

// The generated protocol, for users who write their own handlers or clients.
export {
  HealthService,
  HealthCheckRequest,
  HealthCheckResponse,
  HealthCheckResponse_ServingStatus as WireServingStatus,
  HealthListRequest,
  HealthListResponse,
  HealthClient as GeneratedHealthClient,
  type HealthServer as HealthServiceHandlers,
} from './generated/grpc/health/v1/health.js';
