/**
 * One health check per (connection, service), shared by every wrapper of that
 * connection and reference-counted, as grpc-go's health producer
 * (`GetOrBuildProducer`) and grpc-js's ORCA data producers do it.
 *
 * A check belongs to the connection (grpc-js's real subchannel), not to a
 * wrapper: grpc-js rebuilds wrappers on every resolver update, and a new wrapper
 * acquires the running check before the old one releases it (grpc-js refs a new
 * subchannel before it unrefs the old one, the same rule that keeps the
 * connection itself alive). The check follows the connection's state on its own:
 * a Watch runs exactly while the connection is READY and someone holds the check.
 *
 * Health changes are published here, once per check: not per wrapper (grpc-js
 * makes new ones on every resolver update) and not per channel (channels share
 * connections through grpc-js's subchannel pool).
 */
import { type ChannelCredentials, type ChannelInterface, connectivityState as ConnectivityState, experimental } from '@grpc/grpc-js';
import { HealthClient as GeneratedHealthClient } from '../generated/grpc/health/v1/health.js';
import { type BackoffOptions, type HealthWatchEvent, HealthWatchLoop } from '../client/watch-loop.js';
import { type BackendHealth, type BackendHealthState, BoundedKeySet, publishHealthChange, trace, warn } from './backend-health.js';
import { connectionChannel } from './grpc-js-compat.js';

/** A running Watch loop, as a check sees it. */
export interface RunningWatch {
  stop(): void;
  /** Backoff settings for the next delays (a config update). */
  setBackoff(backoff: BackoffOptions | undefined): void;
}

/** Starts the Watch loop of one connection (a seam: unit tests pass a fake). */
export type WatchStarter = (
  channel: ChannelInterface,
  service: string,
  backoff: BackoffOptions | undefined,
  onEvent: (event: HealthWatchEvent) => void,
) => RunningWatch;

/** The real one: the resilient Watch loop on the connection's own channel, so the Watch shares the connection with the RPCs. */
export const startWatchLoop: WatchStarter = (channel, service, backoff, onEvent) => {
  const client = new GeneratedHealthClient('unused', undefined as unknown as ChannelCredentials, { channelOverride: channel });
  const loop = new HealthWatchLoop(client, service, onEvent, { backoff });
  loop.start();
  return loop;
};

/** The connection a check runs on: grpc-js's real subchannel. */
type Connection = experimental.SubchannelInterface;

/** How many (target, backend, service) keys the "UNIMPLEMENTED logged" memory keeps. */
export const MAX_UNIMPLEMENTED_LOGGED = 1000;
const loggedUnimplemented = new BoundedKeySet(MAX_UNIMPLEMENTED_LOGGED);

/** The health of one connection for one service, shared by its wrappers. */
export class SharedHealthCheck {
  /** True once the current READY period has had its first answer (a status, a failure or UNIMPLEMENTED). */
  answered = false;
  readonly target: string;
  readonly address: string;
  private state: BackendHealthState = 'IDLE';
  private isHealthy = true;
  private detail = 'not connected';
  private since = new Date();
  private watch: RunningWatch | undefined;
  /** The last (state, healthy, detail) published; undefined until the first. */
  private published: string | undefined;
  /** Called after every change; one entry per lease. */
  readonly users = new Set<() => void>();

  constructor(
    private readonly connection: Connection,
    readonly service: string,
    private backoff: BackoffOptions | undefined,
    private readonly startWatch: WatchStarter,
    private readonly onHealthChange: (health: () => BackendHealth) => void,
  ) {
    this.address = connection.getAddress();
    this.target = connectionChannel(connection).getTarget();
    connection.addConnectivityStateListener(this.onConnectionState);
    if (connection.getConnectivityState() === ConnectivityState.READY) this.start();
  }

  /** The latest health (a fresh object). */
  get health(): BackendHealth {
    const { target, address, service, state, isHealthy: healthy, detail, since } = this;
    return { target, address, service, state, healthy, detail, since };
  }

  /** Whether the balancer may pick this backend now. */
  get healthy(): boolean {
    return this.isHealthy;
  }

  /**
   * Backoff for the Watch from now on: a running loop uses it for its next delay.
   * With several channels on one connection, the last config applied wins.
   */
  setBackoff(backoff: BackoffOptions | undefined): void {
    this.backoff = backoff;
    this.watch?.setBackoff(backoff);
  }

  /** Publishes the health if it differs from what was last published (the first time: always). */
  publish(): void {
    const key = `${this.state}\u0000${this.isHealthy}\u0000${this.detail}`;
    if (key === this.published) return;
    this.published = key;
    this.onHealthChange(() => this.health);
  }

  /** True while a Watch loop is running (tests). */
  get watching(): boolean {
    return this.watch !== undefined;
  }

  /** Stops for good: the last lease is gone. */
  close(): void {
    this.connection.removeConnectivityStateListener(this.onConnectionState);
    this.stop();
  }

  private readonly onConnectionState = (_subchannel: unknown, _previous: ConnectivityState, next: ConnectivityState): void => {
    if (next === ConnectivityState.READY) this.start();
    else this.stop();
    this.notify();
  };

  private start(): void {
    if (this.watch) return;
    this.answered = false;
    this.set('CHECKING', true, 'waiting for the first health answer');
    trace(`${this.address} "${this.service}": starting Watch on the subchannel's connection`);
    this.watch = this.startWatch(connectionChannel(this.connection), this.service, this.backoff, this.onEvent);
  }

  private stop(): void {
    const watch = this.watch;
    if (!watch) return;
    this.watch = undefined;
    watch.stop();
    this.answered = false;
    this.set('IDLE', true, 'not connected');
  }

  private readonly onEvent = (event: HealthWatchEvent): void => {
    switch (event.type) {
      case 'status': {
        const serving = event.status === 'SERVING';
        this.set(event.status, serving, serving ? '' : `status=${event.status}`);
        break;
      }
      case 'failure':
      case 'closed': // not on a subchannel's own channel, which is never closed; a failure if it ever is
        this.set('FAILED', false, `health stream failed: ${event.error.message}`);
        break;
      case 'unimplemented':
        if (loggedUnimplemented.add(`${this.target}\u0000${this.address}\u0000${this.service}`)) {
          // grpc-go's wording, so that people searching for it find both.
          warn(`health check is unimplemented at server side, thus health check is disabled for ${this.address}`);
        }
        this.set('UNIMPLEMENTED', true, 'the server has no health service');
        break;
    }
    this.answered = true;
    this.notify();
  };

  private set(state: BackendHealthState, healthy: boolean, detail: string): void {
    if (state !== this.state) trace(`${this.address} "${this.service}": health ${state}${detail ? ` (${detail})` : ''}`);
    if (state !== this.state || healthy !== this.isHealthy) this.since = new Date();
    this.state = state;
    this.isHealthy = healthy;
    this.detail = detail;
  }

  private notify(): void {
    for (const user of [...this.users]) user();
    this.publish();
  }
}

/** A wrapper's hold on a shared check. */
export interface HealthCheckLease {
  readonly check: SharedHealthCheck;
  /** Gives the check back; the last release stops it. Calling it twice does nothing. */
  release(): void;
}

/** The shared checks of this process, by connection and service. */
export class HealthCheckRegistry {
  private readonly checks = new Map<Connection, Map<string, SharedHealthCheck>>();

  constructor(
    private readonly startWatch: WatchStarter = startWatchLoop,
    /** Where health changes go: {@link onBackendHealthChange} listeners by default. */
    private readonly onHealthChange: (health: () => BackendHealth) => void = publishHealthChange,
  ) {}

  /** The running check of this connection and service, if someone holds one. */
  peek(subchannel: experimental.SubchannelInterface, service: string): SharedHealthCheck | undefined {
    return this.checks.get(subchannel.getRealSubchannel())?.get(service);
  }

  /** Takes a hold on the check of `subchannel`'s connection for `service`, starting it if nobody holds it; `onChange` hears every change. */
  acquire(
    subchannel: experimental.SubchannelInterface,
    service: string,
    backoff: BackoffOptions | undefined,
    onChange: () => void,
  ): HealthCheckLease {
    const connection: Connection = subchannel.getRealSubchannel();
    let byService = this.checks.get(connection);
    if (!byService) {
      byService = new Map();
      this.checks.set(connection, byService);
    }
    let check = byService.get(service);
    const created = !check;
    if (!check) {
      check = new SharedHealthCheck(connection, service, backoff, this.startWatch, this.onHealthChange);
      byService.set(service, check);
    } else {
      check.setBackoff(backoff); // the newest config's
    }
    // A distinct function per lease, so that two leases with the same callback count twice.
    const user = (): void => onChange();
    check.users.add(user);
    if (created) check.publish(); // a new check's first state
    const held = check;
    let released = false;
    return {
      check: held,
      release: () => {
        if (released) return;
        released = true;
        held.users.delete(user);
        if (held.users.size > 0) return;
        held.close();
        const entries = this.checks.get(connection);
        entries?.delete(service);
        if (entries?.size === 0) this.checks.delete(connection);
      },
    };
  }

  /** How many checks are held (tests). */
  get size(): number {
    let count = 0;
    for (const byService of this.checks.values()) count += byService.size;
    return count;
  }
}

/** The registry every `health_check` policy of this process shares. */
export const sharedHealthChecks = new HealthCheckRegistry();
