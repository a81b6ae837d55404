/**
 * `grpc-health-kit/nestjs`: gRPC health for NestJS applications.
 *
 * `HealthKitModule.forRoot(...)` provides `HealthServer` and `HealthKit`; the gRPC
 * microservice registers the health service with `onLoadPackageDefinition`, and
 * `beforeApplicationShutdown` drains (NOT_SERVING, wait, stop gracefully) so that
 * `app.enableShutdownHooks()` ends a SIGTERM with no failed RPC.
 *
 * @packageDocumentation
 */
export {
  HealthKit,
  type HealthKitSettings,
  DEFAULT_NEST_DRAIN_MS,
  DEFAULT_NEST_TIMEOUT_MS,
  DEFAULT_REGISTRATION_TIMEOUT_MS,
} from './health-kit.js';
export { HealthKitModule, type HealthKitModuleOptions, type HealthKitChecksFactory, HEALTH_KIT_CHECKS } from './health-kit-module.js';
export { HealthServer, type HealthServerOptions, type SettableStatus } from '../server/health-server.js';
export { DependencyChecks } from '../checks/dependency-checks.js';
