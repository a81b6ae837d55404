/**
 * Serving statuses by name, and their mapping to the wire enum.
 *
 * The public API speaks in names (`'SERVING'`), the wire in numbers; this module
 * is the only place that converts between the two.
 */
import type { HealthCheckResponse_ServingStatus as Wire } from './generated/grpc/health/v1/health.js';

/**
 * The status of a service as the health protocol reports it.
 *
 * - `SERVING`: the service takes traffic.
 * - `NOT_SERVING`: it does not (starting, draining, broken).
 * - `UNKNOWN`: the server has it registered but does not know its state.
 * - `SERVICE_UNKNOWN`: only sent by Watch, for a name the server does not know.
 */
export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

/** Every status name, in wire order. */
export const SERVING_STATUSES: readonly ServingStatus[] = Object.freeze(['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN']);

// The numbers of grpc.health.v1 (a type-only import: status names load no generated code).
const TO_WIRE: Readonly<Record<ServingStatus, Wire>> = Object.freeze({
  UNKNOWN: 0,
  SERVING: 1,
  NOT_SERVING: 2,
  SERVICE_UNKNOWN: 3,
});

/** The wire number of a status name. */
export function statusToWire(status: ServingStatus): Wire {
  return TO_WIRE[status];
}

/**
 * The name of a wire status. A number this protocol version does not define
 * (a newer peer, a broken one) reads as `UNKNOWN`, which every consumer treats as
 * "not serving".
 */
export function statusFromWire(wire: number): ServingStatus {
  return SERVING_STATUSES[wire] ?? 'UNKNOWN';
}

/** True for the four status names. */
export function isServingStatus(value: unknown): value is ServingStatus {
  return typeof value === 'string' && (SERVING_STATUSES as readonly string[]).includes(value);
}

/**
 * Reads a status written by a person (CLI flag, config file): case-insensitive,
 * `-` and `_` alike, and the wire numbers `0`..`3`. Returns `undefined` when it is
 * none of them.
 */
export function parseServingStatus(text: string): ServingStatus | undefined {
  const trimmed = text.trim();
  if (/^[0-3]$/.test(trimmed)) return SERVING_STATUSES[Number(trimmed)];
  const name = trimmed.toUpperCase().replace(/-/g, '_');
  return isServingStatus(name) ? name : undefined;
}
