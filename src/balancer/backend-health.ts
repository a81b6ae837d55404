/**
 * What the balancer tells applications about their backends, and how it speaks:
 * grpc-js's `health_check` tracer for detail, grpc-js's logger (at its default
 * verbosity, ERROR) for the few things a user must hear about.
 */
import { experimental, logVerbosity } from '@grpc/grpc-js';
import { HealthArgumentError } from '../errors.js';
import { errorText } from '../shown-value.js';

/** grpc-js's tracer name for everything this balancer does: `GRPC_TRACE=health_check`. */
export const TRACER_NAME = 'health_check';

/** A backend's health as the balancer sees it. */
export type BackendHealthState =
  /** Not connected: health is not being checked. */
  | 'IDLE'
  /** Connected, waiting for the first health answer. */
  | 'CHECKING'
  /** Health says SERVING: pickable. */
  | 'SERVING'
  /** Health says NOT_SERVING, UNKNOWN or SERVICE_UNKNOWN: not pickable. */
  | 'NOT_SERVING'
  | 'UNKNOWN'
  | 'SERVICE_UNKNOWN'
  /** The Watch stream failed; retried with backoff. Not pickable. */
  | 'FAILED'
  /** The server has no health service: pickable, not checked. */
  | 'UNIMPLEMENTED';

/** One backend's health, for an application's own metrics. */
export interface BackendHealth {
  /** The target of the channel this backend belongs to, as grpc-js prints it (`dns:localhost:50051`, `ipv4:127.0.0.1:1,127.0.0.1:2`). */
  target: string;
  /** The backend's address, as grpc-js prints it (`127.0.0.1:50051`). */
  address: string;
  /** The health service name checked. */
  service: string;
  state: BackendHealthState;
  /** Whether the balancer may pick it (SERVING or UNIMPLEMENTED). */
  healthy: boolean;
  /** Why, for states other than SERVING: the status or the stream's error. */
  detail: string;
  /** When `state` last changed. */
  since: Date;
}

/** Writes a line to grpc-js's `health_check` tracer. */
export function trace(text: string): void {
  experimental.trace(logVerbosity.DEBUG, TRACER_NAME, text);
}

/**
 * Logs through grpc-js's logger at ERROR, the level grpc-js shows by default
 * (`GRPC_VERBOSITY` unset). A logger set with `grpc.setLogger` is user code: if it
 * throws, the line is lost, not the process.
 */
export function warn(text: string): void {
  try {
    experimental.log(logVerbosity.ERROR, text);
  } catch {
    // A throwing logger must not take the balancer down with it.
  }
}

const healthListeners = new Set<(health: BackendHealth) => void>();
const reportedListeners = new WeakSet<(health: BackendHealth) => void>();

/**
 * Calls `listener` on every change of a backend's health in any health-checked
 * channel of this process (from any grpc-js callback; keep it quick): once per
 * change of one (connection, service) check, however many channels share that
 * connection; a resolver update that leaves health as it was is no change. A new
 * check reports its first state once. A listener that throws is reported once
 * through grpc-js's logger; the others are still called. Returns a function that
 * removes the listener.
 *
 * @throws {@link HealthArgumentError} when `listener` is not a function.
 */
export function onBackendHealthChange(listener: (health: BackendHealth) => void): () => void {
  if (typeof listener !== 'function') throw new HealthArgumentError('onBackendHealthChange: listener must be a function');
  healthListeners.add(listener);
  return () => healthListeners.delete(listener);
}

/** Tells every {@link onBackendHealthChange} listener about `health()` (built only when someone listens). */
export function publishHealthChange(health: () => BackendHealth): void {
  if (healthListeners.size === 0) return;
  const changed = health();
  for (const listener of [...healthListeners]) {
    try {
      listener(changed);
    } catch (error) {
      const text = `onBackendHealthChange listener threw: ${errorText(error)}`;
      if (reportedListeners.has(listener)) {
        trace(text);
      } else {
        reportedListeners.add(listener);
        warn(`health_check: ${text} (reported once per listener; the balancer carries on)`);
      }
    }
  }
}

/** A set of keys that remembers at most `limit` of them, forgetting the oldest first. */
export class BoundedKeySet {
  private readonly keys = new Set<string>();
  constructor(private readonly limit: number) {}

  /** Adds `key`; false if it was already there. */
  add(key: string): boolean {
    if (this.keys.has(key)) return false;
    if (this.keys.size >= this.limit) this.keys.delete(this.keys.values().next().value as string);
    this.keys.add(key);
    return true;
  }

  get size(): number {
    return this.keys.size;
  }
}
