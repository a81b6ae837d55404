/**
 * The health service definition our server registers, with replies encoded once
 * and the empty request decoded once.
 *
 * There are only four possible `HealthCheckResponse` messages, so Check and Watch
 * reply with shared frozen objects whose encoding is computed at load time by the
 * generated encoder; grpc-js copies the bytes into each frame. Anything else
 * (a user's own object) falls back to the generated serializer.
 */
import { HealthCheckRequest, HealthCheckResponse, HealthService } from '../generated/grpc/health/v1/health.js';
import { SERVING_STATUSES, type ServingStatus, statusToWire } from '../status.js';

/** The one reply object for each status, shared by every call. */
export const RESPONSES: Readonly<Record<ServingStatus, HealthCheckResponse>> = Object.freeze(
  Object.fromEntries(SERVING_STATUSES.map((name) => [name, Object.freeze({ status: statusToWire(name) })])) as Record<
    ServingStatus,
    HealthCheckResponse
  >,
);

/** Encoded replies indexed by wire number (0..3). */
const ENCODED: readonly Buffer[] = SERVING_STATUSES.map((name) => HealthService.check.responseSerialize(RESPONSES[name]));

function serializeResponse(message: HealthCheckResponse): Buffer {
  return ENCODED[message.status] ?? HealthService.check.responseSerialize(message);
}

// The most common request by far (Kubernetes, grpc-health-probe, load balancers) asks
// about "", which encodes to zero bytes: decode it once.
const EMPTY_REQUEST: HealthCheckRequest = Object.freeze(HealthCheckRequest.decode(new Uint8Array(0)));

function deserializeRequest(bytes: Buffer): HealthCheckRequest {
  return bytes.length === 0 ? EMPTY_REQUEST : HealthService.check.requestDeserialize(bytes);
}

/** `grpc.health.v1.Health` as our server registers it: the generated definition with cached encodings. */
export const CACHED_HEALTH_SERVICE = {
  ...HealthService,
  check: { ...HealthService.check, requestDeserialize: deserializeRequest, responseSerialize: serializeResponse },
  watch: { ...HealthService.watch, requestDeserialize: deserializeRequest, responseSerialize: serializeResponse },
} as const;
