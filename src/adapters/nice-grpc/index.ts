/**
 * `grpc-health-kit/nice-grpc`: the health service for nice-grpc servers.
 *
 * ```ts
 * server.add(HealthDefinition, niceHealth(health));
 * ```
 *
 * @packageDocumentation
 */
export { HealthDefinition, niceHealth, type NiceHealthImplementation, stoppableNiceServer } from './nice-health.js';
