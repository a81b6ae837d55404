/**
 * The errors this library throws. Every one extends {@link HealthKitError}, so a
 * caller can tell ours from anything else with one `instanceof`.
 */
import type { Metadata, ServiceError, status as GrpcStatus } from '@grpc/grpc-js';
import { GrpcCode, grpcCodeName } from './grpc-code.js';

/** Base class of every error this library throws. */
export class HealthKitError extends Error {
  override name = 'HealthKitError';
}

/** A caller passed something this library cannot accept (a bad status, a bad option). */
export class HealthArgumentError extends HealthKitError {
  override name = 'HealthArgumentError';
}

/**
 * A health RPC ended with a non-OK gRPC status.
 *
 * `code` is the gRPC status code (`NOT_FOUND` for an unknown service on Check,
 * `UNIMPLEMENTED` when the server has no health service, `DEADLINE_EXCEEDED`,
 * `UNAVAILABLE`, ...); `details` is the server's message.
 */
export class HealthRpcError extends HealthKitError {
  override name = 'HealthRpcError';

  constructor(
    /** Which RPC failed: `Check`, `Watch` or `List`. */
    readonly method: 'Check' | 'Watch' | 'List',
    /** The gRPC status code. */
    readonly code: GrpcStatus,
    /** The status message the peer (or the local channel) gave. */
    readonly details: string,
    /** The service name asked about (`undefined` for List). */
    readonly service: string | undefined,
    /** Trailing metadata, when the peer sent some. */
    readonly metadata: Metadata | undefined,
  ) {
    const subject = service === undefined ? method : `${method} "${service}"`;
    super(`${subject} failed: ${grpcCodeName(code)}: ${details}`);
  }

  /** Wraps an error from a grpc-js call. */
  static from(method: HealthRpcError['method'], service: string | undefined, error: Partial<ServiceError>): HealthRpcError {
    return new HealthRpcError(
      method,
      typeof error.code === 'number' ? error.code : (GrpcCode.UNKNOWN as GrpcStatus),
      error.details ?? error.message ?? 'unknown error',
      service,
      error.metadata,
    );
  }
}

/**
 * The health core refused a request: an unknown service on Check, too many
 * services for List, too many watches of unknown names, an over-long name, or a
 * Watch ended by `endWatches`.
 *
 * `code` is the gRPC status code an adapter answers with (`NOT_FOUND`,
 * `RESOURCE_EXHAUSTED`, `INVALID_ARGUMENT`, `UNAVAILABLE`, ...); its number is the
 * same in grpc-js, Connect and nice-grpc. `details` is the status message.
 */
export class HealthRequestError extends HealthKitError {
  override name = 'HealthRequestError';

  constructor(
    /** The gRPC status code to answer with. */
    readonly code: GrpcCode,
    /** The status message to answer with. */
    readonly details: string,
  ) {
    super(`${grpcCodeName(code)}: ${details}`);
  }
}
