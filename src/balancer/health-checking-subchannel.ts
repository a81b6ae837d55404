/**
 * A subchannel wrapper that tells the child policy whether its backend may be
 * picked, from the {@link SharedHealthCheck} of its connection.
 *
 * - While the connection is READY but no health answer has come yet, it reports
 *   CONNECTING, so RPCs queue instead of failing.
 * - SERVING makes it healthy; any other status, or a failed stream, unhealthy
 *   (the leaf pick_first under round_robin then reports TRANSIENT_FAILURE).
 * - UNIMPLEMENTED: the server has no health service; healthy, logged once.
 * - It holds the shared check while grpc-js holds it (from the first `ref()` to
 *   the last `unref()`); a wrapper created for a connection someone already
 *   checks starts with that check's answer, so a rebuilt child picks it at once.
 */
import { connectivityState as ConnectivityState, experimental } from '@grpc/grpc-js';
import type { BackoffOptions } from '../client/watch-loop.js';
import { type BackendHealth, trace } from './backend-health.js';
import type { HealthCheckLease, HealthCheckRegistry, SharedHealthCheck } from './shared-health-check.js';

type ConnectivityStateListener = experimental.ConnectivityStateListener;

/** What a wrapper tells its policy (health changes are published by the shared check, once for all its wrappers). */
export interface WrapperEvents {
  /** grpc-js took the wrapper into use (first `ref()`). */
  referenced(wrapper: HealthCheckingSubchannel): void;
  /** grpc-js let go of the wrapper (last `unref()`). */
  destroyed(wrapper: HealthCheckingSubchannel): void;
}

/** The health-checking wrapper of one subchannel. */
export class HealthCheckingSubchannel extends experimental.BaseSubchannelWrapper {
  private readonly listeners = new Set<ConnectivityStateListener>();
  private refs = 0;
  private reported: ConnectivityState;
  private keepaliveTime = -1;
  private lease: HealthCheckLease | undefined;
  private readonly target: string;

  constructor(
    child: experimental.SubchannelInterface,
    private serviceName: string,
    private backoff: BackoffOptions | undefined,
    private readonly checks: HealthCheckRegistry,
    private readonly events: WrapperEvents,
  ) {
    super(child);
    this.target = child.getChannel().getTarget();
    this.setHealthy(this.getHealth().healthy);
    this.reported = this.computeState();
  }

  /** The subchannel this wrapper wraps: what the parent policy created, and what the picker hands back to it. */
  getWrappedSubchannel(): experimental.SubchannelInterface {
    return this.child;
  }

  /** This backend's health now. */
  getHealth(): BackendHealth {
    const check = this.check();
    if (check) return check.health;
    return {
      target: this.target,
      address: this.child.getAddress(),
      service: this.serviceName,
      state: 'IDLE',
      healthy: true,
      detail: 'not connected',
      since: new Date(0),
    };
  }

  /** Checks another service name from now on (a config update). */
  setServiceName(serviceName: string): void {
    if (serviceName === this.serviceName) return;
    this.serviceName = serviceName;
    if (this.lease) {
      const old = this.lease;
      this.lease = this.acquire();
      old.release();
    }
    this.update();
  }

  /** Backoff of Watch attempts from now on (a config update); the shared check takes it at once. */
  setBackoff(backoff: BackoffOptions | undefined): void {
    this.backoff = backoff;
    this.lease?.check.setBackoff(backoff);
  }

  /** The shared check this wrapper holds, while grpc-js holds the wrapper. */
  heldCheck(): SharedHealthCheck | undefined {
    return this.lease?.check;
  }

  /**
   * Another hold on this wrapper's check, if it holds one: the policy keeps its
   * checks across an update its child handles by dropping every wrapper before
   * creating new ones (round_robin does).
   */
  holdCheck(): HealthCheckLease | undefined {
    return this.lease ? this.checks.acquire(this.child, this.serviceName, this.backoff, () => {}) : undefined;
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
      this.lease = this.acquire();
      this.child.addConnectivityStateListener(this.onChildState);
      this.events.referenced(this);
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
    this.lease?.release();
    this.lease = undefined;
    this.listeners.clear();
    this.events.destroyed(this);
  }

  /** The check this wrapper holds, or (not yet referenced) the one someone else holds for its connection. */
  private check(): SharedHealthCheck | undefined {
    return this.lease?.check ?? this.checks.peek(this.child, this.serviceName);
  }

  private acquire(): HealthCheckLease {
    return this.checks.acquire(this.child, this.serviceName, this.backoff, this.update);
  }

  private computeState(): ConnectivityState {
    const state = this.child.getConnectivityState();
    return state === ConnectivityState.READY && !this.check()?.answered ? ConnectivityState.CONNECTING : state;
  }

  private readonly onChildState: ConnectivityStateListener = (_subchannel, _previous, _next, keepaliveTime) => {
    this.keepaliveTime = keepaliveTime;
    this.update();
  };

  /** Sets health, then reports the connectivity state if it changed. */
  private readonly update = (): void => {
    // Health first, so a listener woken by READY below already sees it.
    this.setHealthy(this.check()?.healthy ?? true);
    const next = this.computeState();
    const previous = this.reported;
    if (next === previous) return;
    this.reported = next;
    trace(`${this.child.getAddress()} "${this.serviceName}": ${ConnectivityState[previous]} -> ${ConnectivityState[next]}`);
    for (const listener of [...this.listeners]) listener(this, previous, next, this.keepaliveTime);
  };
}
