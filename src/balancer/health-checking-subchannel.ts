/**
 * A subchannel wrapper that runs the health Watch on the subchannel's own
 * connection and tells the policy above whether the backend may be picked.
 *
 * - While the connection is READY but no health answer has come yet, it reports
 *   CONNECTING, so RPCs queue instead of failing.
 * - SERVING makes it healthy; any other status, or a failed stream, unhealthy
 *   (the leaf pick_first under round_robin then reports TRANSIENT_FAILURE).
 * - UNIMPLEMENTED: the server has no health service; healthy, logged once.
 * - The Watch runs only while the wrapper is referenced and its connection READY.
 */
import {
  type ChannelCredentials,
  connectivityState as ConnectivityState,
  experimental,
  logVerbosity,
} from '@grpc/grpc-js';
import { HealthClient as GeneratedHealthClient } from '../generated/grpc/health/v1/health.js';
import { type BackoffOptions, type HealthWatchEvent, HealthWatchLoop } from '../client/watch-loop.js';

type ConnectivityStateListener = experimental.ConnectivityStateListener;

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

const loggedUnimplemented = new Set<string>();

/** The health-checking wrapper of one subchannel. */
export class HealthCheckingSubchannel extends experimental.BaseSubchannelWrapper {
  private readonly listeners = new Set<ConnectivityStateListener>();
  private refs = 0;
  private answered = false;
  private reported: ConnectivityState;
  private keepaliveTime = -1;
  private loop: HealthWatchLoop | undefined;
  private health: BackendHealth;

  constructor(
    child: experimental.SubchannelInterface,
    private serviceName: string,
    private readonly backoff: BackoffOptions | undefined,
    /** Told on every change of health or reported state, and once when destroyed. */
    private readonly onChange: (subchannel: HealthCheckingSubchannel, destroyed: boolean) => void,
  ) {
    super(child);
    this.reported = this.computeState();
    this.health = {
      address: child.getAddress(),
      service: serviceName,
      state: 'IDLE',
      healthy: true,
      detail: '',
      since: new Date(),
    };
  }

  /** This backend's health now. */
  getHealth(): BackendHealth {
    return { ...this.health };
  }

  /** The wrapped subchannel. */
  getWrappedSubchannel(): experimental.SubchannelInterface {
    return this.child;
  }

  /** Checks another service name from now on (a config update). */
  setServiceName(serviceName: string): void {
    if (serviceName === this.serviceName) return;
    this.serviceName = serviceName;
    this.health.service = serviceName;
    if (this.loop) {
      this.stopWatch();
      this.answered = false;
      this.startWatchIfReady();
      this.report();
    }
  }

  override getConnectivityState(): ConnectivityState {
    return this.computeState();
  }

  override addConnectivityStateListener(listener: ConnectivityStateListener): void {
    this.listeners.add(listener);
  }

  override removeConnectivityStateListener(listener: ConnectivityStateListener): void {
    this.listeners.delete(listener);
  }

  override ref(): void {
    super.ref();
    this.refs += 1;
    if (this.refs === 1) {
      this.child.addConnectivityStateListener(this.onChildState);
      this.startWatchIfReady();
      this.report();
    }
  }

  override unref(): void {
    this.refs -= 1;
    super.unref(); // calls destroy() at zero
  }

  protected override destroy(): void {
    super.destroy();
    this.child.removeConnectivityStateListener(this.onChildState);
    this.stopWatch();
    this.listeners.clear();
    this.onChange(this, true);
  }

  private computeState(): ConnectivityState {
    const state = this.child.getConnectivityState();
    return state === ConnectivityState.READY && !this.answered ? ConnectivityState.CONNECTING : state;
  }

  private readonly onChildState: ConnectivityStateListener = (_subchannel, _previous, next, keepaliveTime) => {
    this.keepaliveTime = keepaliveTime;
    if (next === ConnectivityState.READY) {
      this.startWatchIfReady();
    } else {
      this.stopWatch();
      this.answered = false;
      this.setHealth('IDLE', true, '');
    }
    this.report();
  };

  private startWatchIfReady(): void {
    if (this.loop || this.refs === 0 || this.child.getConnectivityState() !== ConnectivityState.READY) return;
    this.trace(`starting Watch on the subchannel's connection`);
    // The subchannel's own channel: the Watch shares the connection with the RPCs.
    const client = new GeneratedHealthClient('unused', undefined as unknown as ChannelCredentials, {
      channelOverride: this.child.getChannel(),
    });
    this.setHealth('CHECKING', this.health.healthy, 'waiting for the first health answer');
    this.loop = new HealthWatchLoop(client, this.serviceName, this.onWatchEvent, { backoff: this.backoff });
    this.loop.start();
  }

  private stopWatch(): void {
    if (!this.loop) return;
    this.loop.stop();
    this.loop = undefined;
  }

  private readonly onWatchEvent = (event: HealthWatchEvent): void => {
    switch (event.type) {
      case 'status':
        this.setHealth(event.status, event.status === 'SERVING', event.status === 'SERVING' ? '' : `status=${event.status}`);
        break;
      case 'failure':
        this.setHealth('FAILED', false, `health stream failed: ${event.error.message}`);
        break;
      case 'unimplemented': {
        this.loop = undefined;
        const key = `${this.health.address}\u0000${this.serviceName}`;
        if (!loggedUnimplemented.has(key)) {
          loggedUnimplemented.add(key);
          experimental.log(
            logVerbosity.ERROR,
            `health check is unimplemented at server side, thus health check is disabled for ${this.health.address}`,
          );
        }
        this.setHealth('UNIMPLEMENTED', true, 'the server has no health service');
        break;
      }
    }
    this.answered = true;
    this.report();
  };

  private setHealth(state: BackendHealthState, healthy: boolean, detail: string): void {
    const changed = state !== this.health.state || healthy !== this.health.healthy;
    this.health = { ...this.health, state, healthy, detail, since: changed ? new Date() : this.health.since };
    if (changed) this.trace(`health ${state}${detail ? ` (${detail})` : ''}`);
    // Health first, so a listener woken by the READY below already sees it.
    this.setHealthy(healthy);
    if (changed) this.onChange(this, false);
  }

  /** Tells listeners if the state we report has changed. */
  private report(): void {
    const next = this.computeState();
    const previous = this.reported;
    if (next === previous) return;
    this.reported = next;
    this.trace(`${ConnectivityState[previous]} -> ${ConnectivityState[next]}`);
    for (const listener of [...this.listeners]) listener(this, previous, next, this.keepaliveTime);
    this.onChange(this, false);
  }

  private trace(text: string): void {
    experimental.trace(logVerbosity.DEBUG, TRACER_NAME, `${this.health?.address ?? this.child.getAddress()} "${this.serviceName}": ${text}`);
  }
}
