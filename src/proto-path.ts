import { fileURLToPath } from 'node:url';

/**
 * Absolute path of the package's `grpc/health/v1/health.proto` (with List, gRFC A90), for
 * `@grpc/proto-loader` or a code generator. Its include root is three directories up;
 * the file is also exported as `grpc-health-kit/proto/grpc/health/v1/health.proto`.
 */
export const protoPath: string = fileURLToPath(new URL('../../proto/grpc/health/v1/health.proto', import.meta.url));
