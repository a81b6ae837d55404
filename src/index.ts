/**
 * grpc-health-kit: the gRPC Health Checking Protocol (`grpc.health.v1`) for Node.js.
 *
 * @packageDocumentation
 */
export { type ServingStatus, SERVING_STATUSES, isServingStatus, parseServingStatus, statusFromWire, statusToWire } from './status.js';
export { HealthKitError, HealthArgumentError, HealthRpcError, HealthRequestError } from './errors.js';
export { GrpcCode, grpcCodeName } from './grpc-code.js';
export {
  HealthServer,
  type HealthServerOptions,
  type SettableStatus,
  type WatchStatus,
  type HealthChange,
  type HealthChangeListener,
  type HealthWatchOptions,
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
  type WatchHealthOptions,
  DEFAULT_TIMEOUT_MS,
} from './client/health-client.js';
export { HealthWatchLoop, type HealthWatchLoopOptions, type HealthWatchEvent, type BackoffOptions } from './client/watch-loop.js';
export { HEALTH_CHECK_POLICY_NAME, HealthCheckLoadBalancingConfig } from './balancer/health-check-config.js';
export {
  HealthCheckLoadBalancer,
  backendHealth,
  onBackendHealthChange,
  type ChannelSelector,
} from './balancer/health-check-load-balancer.js';
export { registerHealthCheckLoadBalancer, type GrpcModule } from './balancer/registration.js';
export { HealthCheckingSubchannel } from './balancer/health-checking-subchannel.js';
export { type BackendHealth, type BackendHealthState } from './balancer/backend-health.js';
export {
  healthCheckServiceConfig,
  healthCheckChannelOptions,
  HEALTH_CHECK_KEEPALIVE,
  type HealthCheckChannelOptions,
  type HealthCheckChannelOptionsOptions,
} from './balancer/service-config.js';
export {
  DependencyChecks,
  type CheckFunction,
  type CheckOptions,
  type CheckOutcome,
  type CheckResult,
} from './checks/dependency-checks.js';
export { grpcCheck, tcpCheck, httpCheck, eventLoopDelayCheck } from './checks/builtin-checks.js';
export { gracefulShutdown, type GracefulShutdown, type GracefulShutdownOptions } from './shutdown.js';
export { type StoppableServer } from './drain.js';
export { startHealthHttp, type HealthHttpOptions, type HealthHttpServer, DEFAULT_HTTP_CLOSE_TIMEOUT_MS } from './http/health-http.js';
export {
  healthHttpHandler,
  healthHttpFastifyPlugin,
  type HealthHttpHandler,
  type HealthHttpHandlerOptions,
  type HealthHttpPath,
  type FastifyRouteRegistry,
  HEALTH_HTTP_PATHS,
  MAX_ECHOED_SERVICE_LENGTH,
} from './http/health-http-handler.js';

import { registerHealthCheckLoadBalancer } from './balancer/registration.js';
// Importing the package makes `health_check` usable in any service config.
registerHealthCheckLoadBalancer();

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
export { protoPath } from './proto-path.js';
