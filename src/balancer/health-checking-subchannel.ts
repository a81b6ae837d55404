/**
 * A subchannel wrapper that tells the policy above whether its backend may be
 * picked, from a {@link BackendCheck} running on the subchannel's own connection.
 *
 * - While the connection is READY but no health answer has come yet, it reports
 *   CONNECTING, so RPCs queue instead of failing.
 * - SERVING makes it healthy; any other status, or a failed stream, unhealthy
 *   (the leaf pick_first under round_robin then reports TRANSIENT_FAILURE).
 * - UNIMPLEMENTED: the server has no health service; healthy, logged once.
 * - The check runs only while the wrapper is referenced and its connection READY.
 */
import { connectivityState as ConnectivityState, experimental } from '@grpc/grpc-js';
import type { BackoffOptions } from '../client/watch-loop.js';
import { type BackendHealth, BackendCheck, trace } from './backend-check.js';

type ConnectivityStateListener = experimental.ConnectivityStateListener;

/** What a wrapper needs from its policy. */
export interface CheckRegistry {
  /** A running check of this connection and service left by a destroyed wrapper, if any. */
  adopt(subchannel: experimental.SubchannelInterface, service: string): BackendCheck | undefined;
  /** Leaves a running check for a wrapper created soon after; the registry stops it otherwise. */
  park(subchannel: experimental.SubchannelInterface, check: BackendCheck): void;
  /** The backend's health changed. */
  changed(wrapper: HealthCheckingSubchannel): void;
  /** The wrapper is gone. */
  destroyed(wrapper: HealthCheckingSubchannel): void;
}

/** The health-checking wrapper of one subchannel. */
export class HealthCheckingSubchannel extends experimental.BaseSubchannelWrapper {
  private readonly listeners = new Set<ConnectivityStateListener>();
  private refs = 0;
  private reported: ConnectivityState;
  private keepaliveTime = -1;
  private check: BackendCheck | undefined;
  private readonly address: string;
  private published = '';

  constructor(
    child: experimental.SubchannelInterface,
    private serviceName: string,
    private readonly backoff: BackoffOptions | undefined,
    private readonly registry: CheckRegistry,
  ) {
    super(child);
    this.address = child.getAddress();
    // A connection already checked for a wrapper just destroyed: take its check
    // now, so this wrapper is READY from the start and pick_first picks it at once.
    if (child.getConnectivityState() === ConnectivityState.READY) {
      const check = registry.adopt(child, serviceName);
      if (check) {
        this.own(check);
        this.setHealthy(check.health.healthy);
        // pick_first may create wrappers it never references; those give it back.
        setImmediate(() => {
          if (this.refs === 0) this.stopCheck(false);
        });
      }
    }
    this.reported = this.computeState();
  }

  /** This backend's health now. */
  getHealth(): BackendHealth {
    if (this.check) return this.check.health;
    return { address: this.address, service: this.serviceName, state: 'IDLE', healthy: true, detail: 'not connected', since: new Date(0) };
  }

  /** Checks another service name from now on (a config update). */
  setServiceName(serviceName: string): void {
    if (serviceName === this.serviceName) return;
    this.serviceName = serviceName;
    if (this.check) {
      this.stopCheck(false);
      this.startCheckIfReady();
      this.update();
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
      this.startCheckIfReady();
      this.update();
    }
  }

  override unref(): void {
    this.refs -= 1;
    super.unref(); // calls destroy() at zero
  }

  protected override destroy(): void {
    super.destroy();
    this.child.removeConnectivityStateListener(this.onChildState);
    this.stopCheck(this.child.getConnectivityState() === ConnectivityState.READY);
    this.listeners.clear();
    this.registry.destroyed(this);
  }

  private computeState(): ConnectivityState {
    const state = this.child.getConnectivityState();
    return state === ConnectivityState.READY && !this.check?.answered ? ConnectivityState.CONNECTING : state;
  }

  private readonly onChildState: ConnectivityStateListener = (_subchannel, _previous, next, keepaliveTime) => {
    this.keepaliveTime = keepaliveTime;
    if (next === ConnectivityState.READY) {
      this.startCheckIfReady();
    } else {
      this.stopCheck(false);
    }
    this.update();
  };

  private startCheckIfReady(): void {
    if (this.check || this.refs === 0 || this.child.getConnectivityState() !== ConnectivityState.READY) return;
    this.own(
      this.registry.adopt(this.child, this.serviceName) ??
        // The subchannel's own channel: the Watch shares the connection with the RPCs.
        new BackendCheck(this.child.getChannel(), this.address, this.serviceName, this.backoff),
    );
  }

  private own(check: BackendCheck): void {
    this.check = check;
    check.onChange = () => this.update();
  }

  /** Drops the check: parked for a successor when the connection is still up, else stopped. */
  private stopCheck(park: boolean): void {
    const check = this.check;
    if (!check) return;
    this.check = undefined;
    check.onChange = undefined;
    if (park) this.registry.park(this.child, check);
    else check.stop();
  }

  /** Publishes health, then the connectivity state we report if it changed. */
  private update(): void {
    const health = this.getHealth();
    // Health first, so a listener woken by READY below already sees it.
    this.setHealthy(health.healthy);
    const key = `${health.state}/${health.healthy}/${health.detail}`;
    if (key !== this.published) {
      this.published = key;
      this.registry.changed(this);
    }
    const next = this.computeState();
    const previous = this.reported;
    if (next === previous) return;
    this.reported = next;
    trace(this.address, this.serviceName, `${ConnectivityState[previous]} -> ${ConnectivityState[next]}`);
    for (const listener of [...this.listeners]) listener(this, previous, next, this.keepaliveTime);
  }
}
