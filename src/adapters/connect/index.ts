/**
 * `grpc-health-kit/connect`: the gRPC health service for Connect-ES routers.
 *
 * Needs the optional peer dependency `@connectrpc/connect` (and a server adapter
 * such as `@connectrpc/connect-node`).
 *
 * @packageDocumentation
 */
export { addHealthService, healthServiceImpl } from './health-service.js';
export {
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus,
  HealthListRequestSchema,
  HealthListResponseSchema,
  type HealthCheckRequest,
  type HealthCheckResponse,
  type HealthListRequest,
  type HealthListResponse,
} from '../../generated/grpc/health/v1/health_pb.js';
