/**
 * The fleet's health as the dashboard knows it: one cell per (backend, service)
 * with its status, since when, and the last Check round-trip time; a short
 * transition timeline per backend; counts per status. Observers (the page's
 * event stream, metrics) subscribe with {@link FleetState.onBackendChange}.
 */
import type { ServingStatus } from '../status.js';
import { type Shard, WHOLE_FLEET } from './shard.js';

/**
 * A cell's status: what the backend reported, or what the dashboard saw when it
 * could not ask (`CONNECTING` before the first answer, `UNREACHABLE` while the
 * Watch stream fails, `UNIMPLEMENTED` when the server has no health service).
 */
export type FleetStatus = ServingStatus | 'CONNECTING' | 'UNREACHABLE' | 'UNIMPLEMENTED';

/** Every {@link FleetStatus}, in the order the page lists them. */
export const FLEET_STATUSES: readonly FleetStatus[] = Object.freeze([
  'SERVING',
  'NOT_SERVING',
  'UNKNOWN',
  'SERVICE_UNKNOWN',
  'UNIMPLEMENTED',
  'UNREACHABLE',
  'CONNECTING',
]);

/** One (backend, service). */
export interface FleetCell {
  status: FleetStatus;
  /** When the status last changed, ms since the epoch. */
  since: number;
  /** The last Check round trip, ms; absent until one succeeds or after one fails. */
  rttMs?: number;
  /** Why the status is what it is, when the dashboard knows more than the status (an error). */
  detail?: string;
  /** Status changes seen since the dashboard started. */
  transitions: number;
  /** Watch attempts that failed since the dashboard started: one per attempt, so a backend down for a while counts each retry. */
  watchFailures: number;
}

/** One status change. */
export interface FleetTransition {
  at: number;
  service: string;
  from: FleetStatus;
  to: FleetStatus;
}

/** One backend, as the page and the JSON endpoint show it. */
export interface FleetBackend {
  address: string;
  /** The target it was found through. */
  target: string;
  /** By service name. */
  cells: Record<string, FleetCell>;
  /** The newest transitions, oldest first. */
  timeline: FleetTransition[];
}

/**
 * One target as given, and what it resolved to: a target that does not parse or
 * resolve is shown with its error instead of disappearing.
 */
export interface FleetTarget {
  /** The target as given (`dns:///orders:50051`, `127.0.0.2:50051`). */
  target: string;
  /** The addresses it stands for: the last good resolution (kept while resolution fails). */
  addresses: string[];
  /** Why the last resolution failed (or why the target cannot be used); absent when it succeeded. */
  error?: string;
  /** When it last resolved, ms since the epoch; absent if it never did. */
  lastResolvedAt?: number;
  /** When it is resolved next, ms since the epoch; absent if it is not resolved again. */
  nextAttemptAt?: number;
}

/** The whole state (the JSON endpoint's answer, the page's first event). */
export interface FleetSnapshot {
  generatedAt: number;
  services: string[];
  counts: Record<FleetStatus, number>;
  backends: FleetBackend[];
  /** Every target, in the order given, with its addresses or its error. */
  targets: FleetTarget[];
  /** The part of the fleet this process watches (`{ index: 0, count: 1 }`: all of it). */
  shard: Shard;
}

/** Transitions kept per backend. */
export const TIMELINE_LENGTH = 20;

/** What changed: a status (or its detail), only the round-trip time, or the backend came or went. */
export type FleetChange = 'status' | 'rtt' | 'added' | 'removed';

type BackendListener = (backend: FleetBackend | undefined, address: string, change: FleetChange) => void;
type TargetListener = (target: FleetTarget) => void;

/** The fleet's state; the watcher writes it, observers read it. */
export class FleetState {
  private readonly backends = new Map<string, FleetBackend>();
  private readonly listeners = new Set<BackendListener>();
  private readonly countsByStatus = new Map<FleetStatus, number>();
  private readonly targets = new Map<string, FleetTarget>();
  private readonly targetListeners = new Set<TargetListener>();
  /** The part of the fleet watched, shown in snapshots. */
  shard: Shard = WHOLE_FLEET;

  constructor(
    /** The services watched on every backend, in display order. */
    readonly services: readonly string[],
    private readonly now: () => number = Date.now,
    private readonly onListenerError: (error: unknown) => void = () => {},
  ) {}

  /** Adds a backend with every service `CONNECTING`; does nothing if it is there. */
  addBackend(address: string, target: string): void {
    if (this.backends.has(address)) return;
    const since = this.now();
    const cells: Record<string, FleetCell> = Object.create(null) as Record<string, FleetCell>;
    for (const service of this.services) {
      cells[service] = { status: 'CONNECTING', since, transitions: 0, watchFailures: 0 };
      this.count('CONNECTING', 1);
    }
    const backend: FleetBackend = { address, target, cells, timeline: [] };
    this.backends.set(address, backend);
    this.emit(backend, address, 'added');
  }

  /** Forgets a backend (its name no longer resolves to it). */
  removeBackend(address: string): void {
    const backend = this.backends.get(address);
    if (!backend) return;
    for (const cell of Object.values(backend.cells)) this.count(cell.status, -1);
    this.backends.delete(address);
    this.emit(undefined, address, 'removed');
  }

  /** Sets a cell's status; a change is recorded in the timeline and announced. */
  setStatus(address: string, service: string, status: FleetStatus, detail?: string): void {
    const backend = this.backends.get(address);
    const cell = backend?.cells[service];
    if (!backend || !cell) return;
    if (cell.status === status) {
      if (cell.detail === detail) return;
      if (detail === undefined) delete cell.detail;
      else cell.detail = detail;
      this.emit(backend, address, 'status');
      return;
    }
    const at = this.now();
    backend.timeline.push({ at, service, from: cell.status, to: status });
    if (backend.timeline.length > TIMELINE_LENGTH) backend.timeline.shift();
    this.count(cell.status, -1);
    this.count(status, 1);
    cell.status = status;
    cell.since = at;
    cell.transitions += 1;
    if (detail === undefined) delete cell.detail;
    else cell.detail = detail;
    this.emit(backend, address, 'status');
  }

  /**
   * Counts one failed Watch attempt of a cell (the status is set apart, with
   * {@link setStatus}). Not announced: it is read with the state (`/metrics`,
   * `/api/state`), and a backend retried every few seconds would otherwise be a
   * stream of events that change nothing on the page.
   */
  countWatchFailure(address: string, service: string): void {
    const cell = this.backends.get(address)?.cells[service];
    if (cell) cell.watchFailures += 1;
  }

  /** Records a Check round trip (ms), or its absence after a failed Check. */
  setRtt(address: string, service: string, rttMs: number | undefined): void {
    const cell = this.backends.get(address)?.cells[service];
    if (!cell || cell.rttMs === rttMs) return;
    if (rttMs === undefined) delete cell.rttMs;
    else cell.rttMs = rttMs;
    this.emit(this.backends.get(address), address, 'rtt');
  }

  /** Records what a target resolved to (or why not); a change is announced. */
  setTarget(target: FleetTarget): void {
    const before = this.targets.get(target.target);
    if (before && JSON.stringify(before) === JSON.stringify(target)) return;
    this.targets.set(target.target, target);
    for (const listener of this.targetListeners) {
      try {
        listener(target);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }

  /** One target's row, or `undefined`. */
  target(text: string): FleetTarget | undefined {
    return this.targets.get(text);
  }

  /** Calls `listener` with a target whenever its row changes. Returns the function that unsubscribes. */
  onTargetChange(listener: TargetListener): () => void {
    this.targetListeners.add(listener);
    return () => this.targetListeners.delete(listener);
  }

  /** One backend, or `undefined`. */
  backend(address: string): FleetBackend | undefined {
    return this.backends.get(address);
  }

  /** Addresses of every backend. */
  addresses(): string[] {
    return [...this.backends.keys()];
  }

  /** Cells by status, over the whole fleet. */
  counts(): Record<FleetStatus, number> {
    const counts = {} as Record<FleetStatus, number>;
    for (const status of FLEET_STATUSES) counts[status] = this.countsByStatus.get(status) ?? 0;
    return counts;
  }

  /** Everything, sorted by address (a copy is not made: serialize it, do not keep it). */
  snapshot(): FleetSnapshot {
    const backends = [...this.backends.values()].sort((a, b) => a.address.localeCompare(b.address));
    return {
      generatedAt: this.now(),
      services: [...this.services],
      counts: this.counts(),
      backends,
      targets: [...this.targets.values()],
      shard: { ...this.shard },
    };
  }

  /**
   * Calls `listener` with a backend whenever anything about it changes (with
   * `undefined` when it is removed), and what changed. Returns the function that unsubscribes.
   * A listener that throws is reported and the others still run.
   */
  onBackendChange(listener: BackendListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private count(status: FleetStatus, delta: number): void {
    this.countsByStatus.set(status, (this.countsByStatus.get(status) ?? 0) + delta);
  }

  private emit(backend: FleetBackend | undefined, address: string, change: FleetChange): void {
    for (const listener of this.listeners) {
      try {
        listener(backend, address, change);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }
}
