/**
 * gRPC status codes, as plain numbers.
 *
 * The values are fixed by the gRPC specification and are the same in grpc-js
 * (`status`), Connect (`Code`) and nice-grpc (`Status`), so the core can name a
 * code without loading any of those stacks.
 */
export const GrpcCode = Object.freeze({
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const);

/** One of the gRPC status codes, 0..16. */
export type GrpcCode = (typeof GrpcCode)[keyof typeof GrpcCode];

const NAMES: readonly string[] = Object.keys(GrpcCode);

/** The name of a gRPC code (`NOT_FOUND`), or the number itself when it is not one. */
export function grpcCodeName(code: number): string {
  return NAMES[code] ?? String(code);
}
