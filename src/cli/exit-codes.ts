/** Exit codes, the same as grpc-health-probe's. */
export const EXIT = {
  /** SERVING (or the awaited status). */
  OK: 0,
  /** Bad arguments or flags. */
  INVALID_ARGUMENTS: 1,
  /** Could not connect within the connect timeout. */
  CONNECTION_FAILURE: 2,
  /** The RPC failed: NOT_FOUND, UNIMPLEMENTED, deadline exceeded, ... */
  RPC_FAILURE: 3,
  /** Answered, but not SERVING. */
  UNHEALTHY: 4,
} as const;
