/**
 * What the health core delivers statuses to: one open watch of one service.
 *
 * The core offers every change of the service; the subscriber decides what to
 * send (latest wins, never the same status twice). Push-based (the grpc-js
 * `Watcher`) and pull-based (`StatusStream`, behind `HealthServer.watch`)
 * subscribers share one registry.
 */
import type { GrpcCode } from '../grpc-code.js';
import type { ServingStatus } from '../status.js';

/** A status a watch can see: a service's status, or `SERVICE_UNKNOWN` while it is not registered. */
export type WatchStatus = ServingStatus;

/** One open watch, as the core's registry holds it. */
export interface StatusSubscriber {
  /** The service name watched. */
  readonly service: string;
  /** The service's status changed to `status` (or this is the first status). */
  offer(status: WatchStatus): void;
  /** The core ends the watch (`endWatches`): `OK` completes it, any other code fails it. */
  end(code: GrpcCode, details: string): void;
}
