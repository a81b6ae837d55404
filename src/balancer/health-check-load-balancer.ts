/**
 * The `health_check` load-balancing policy: client-side health checking (gRFC A17)
 * for grpc-js channels, as grpc-go does for `healthCheckConfig`.
 *
 * It wraps every subchannel its child policy creates in a
 * {@link HealthCheckingSubchannel}, which runs one Watch per backend on that
 * backend's own connection. round_robin (and any policy built on grpc-js's leaf
 * pick_first) then sends RPCs only to SERVING backends. With pick_first as the
 * child, health checking is off, as A17 specifies for pick_first.
 *
 * Picks cost nothing extra: the child's picker is passed through untouched. Only
 * when every backend is out does this policy replace the picker, to say why.
 */
import {
  type ChannelOptions,
  connectivityState as ConnectivityState,
  experimental,
  logVerbosity,
  status as GrpcStatus,
} from '@grpc/grpc-js';
import type { BackoffOptions } from '../client/watch-loop.js';
import { HEALTH_CHECK_POLICY_NAME, HealthCheckLoadBalancingConfig } from './health-check-config.js';
import { type BackendHealth, type BackendCheck, TRACER_NAME } from './backend-check.js';
import { type CheckRegistry, HealthCheckingSubchannel } from './health-checking-subchannel.js';

const livePolicies = new Set<HealthCheckLoadBalancer>();
const healthListeners = new Set<(health: BackendHealth) => void>();

/** The health of every backend of every health-checked channel in this process, for metrics. */
export function backendHealth(): BackendHealth[] {
  return [...livePolicies].flatMap((policy) => policy.getBackendHealth());
}

/**
 * Calls `listener` on every change of a backend's health in any health-checked
 * channel of this process (from any grpc-js callback; keep it quick). Returns a
 * function that removes the listener.
 */
export function onBackendHealthChange(listener: (health: BackendHealth) => void): () => void {
  healthListeners.add(listener);
  return () => healthListeners.delete(listener);
}

function trace(text: string): void {
  experimental.trace(logVerbosity.DEBUG, TRACER_NAME, text);
}

/** The policy. grpc-js creates one per channel whose config names `health_check`. */
export class HealthCheckLoadBalancer implements experimental.LoadBalancer, CheckRegistry {
  private readonly child: experimental.ChildLoadBalancerHandler;
  private readonly subchannels = new Set<HealthCheckingSubchannel>();
  /** Checks of destroyed wrappers whose connection is still up, by real subchannel, until the next turn. */
  private readonly parked = new Map<experimental.SubchannelInterface, BackendCheck>();
  private sweep: NodeJS.Immediate | undefined;
  private serviceName = '';
  private backoff: BackoffOptions | undefined;
  private checking = true;

  constructor(helper: experimental.ChannelControlHelper) {
    this.child = new experimental.ChildLoadBalancerHandler(
      experimental.createChildChannelControlHelper(helper, {
        createSubchannel: (address, args) => {
          const subchannel = helper.createSubchannel(address, args);
          if (!this.checking) return subchannel;
          const wrapper = new HealthCheckingSubchannel(subchannel, this.serviceName, this.backoff, this);
          this.subchannels.add(wrapper);
          return wrapper;
        },
        updateState: (state, picker, errorMessage) => {
          if (state === ConnectivityState.TRANSIENT_FAILURE) {
            const why = this.unhealthySummary();
            if (why) {
              const details = errorMessage && !why.everyConnectedBackend ? `${why.text}; ${errorMessage}` : why.text;
              picker = new experimental.UnavailablePicker({ code: GrpcStatus.UNAVAILABLE, details });
              errorMessage = details;
            }
          }
          helper.updateState(state, picker, errorMessage);
        },
      }),
    );
    livePolicies.add(this);
  }

  updateAddressList(
    endpoints: experimental.StatusOr<experimental.Endpoint[]>,
    config: experimental.TypedLoadBalancingConfig,
    options: ChannelOptions,
    resolutionNote: string,
  ): boolean {
    if (!(config instanceof HealthCheckLoadBalancingConfig)) return false;
    const checking = config.childPolicy.getLoadBalancerName() !== 'pick_first';
    if (!checking && this.checking) trace('child policy is pick_first: health checking is off (gRFC A17)');
    this.checking = checking;
    this.backoff = config.backoff;
    if (config.serviceName !== this.serviceName) {
      this.serviceName = config.serviceName;
      for (const subchannel of this.subchannels) subchannel.setServiceName(config.serviceName);
    }
    return this.child.updateAddressList(endpoints, config.childPolicy, options, resolutionNote);
  }

  exitIdle(): void {
    this.child.exitIdle();
  }

  resetBackoff(): void {
    this.child.resetBackoff();
  }

  destroy(): void {
    this.child.destroy();
    this.stopParked();
    livePolicies.delete(this);
  }

  /** {@inheritDoc CheckRegistry.adopt} */
  adopt(subchannel: experimental.SubchannelInterface, service: string): BackendCheck | undefined {
    const key = subchannel.getRealSubchannel();
    const check = this.parked.get(key);
    if (!check || check.service !== service) return undefined;
    this.parked.delete(key);
    return check;
  }

  /** {@inheritDoc CheckRegistry.park} */
  park(subchannel: experimental.SubchannelInterface, check: BackendCheck): void {
    const key = subchannel.getRealSubchannel();
    this.parked.get(key)?.stop();
    this.parked.set(key, check);
    // A wrapper for the same connection comes in the same turn (round_robin
    // rebuilds its children synchronously); whatever is left after it stops.
    this.sweep ??= setImmediate(() => {
      this.sweep = undefined;
      this.stopParked();
    });
  }

  /** {@inheritDoc CheckRegistry.changed} */
  changed(wrapper: HealthCheckingSubchannel): void {
    if (healthListeners.size === 0) return;
    const health = wrapper.getHealth();
    for (const listener of healthListeners) listener(health);
  }

  /** {@inheritDoc CheckRegistry.destroyed} */
  destroyed(wrapper: HealthCheckingSubchannel): void {
    this.subchannels.delete(wrapper);
  }

  private stopParked(): void {
    for (const check of this.parked.values()) check.stop();
    this.parked.clear();
  }

  getTypeName(): string {
    return HEALTH_CHECK_POLICY_NAME;
  }

  /** The health of this channel's backends. */
  getBackendHealth(): BackendHealth[] {
    return [...this.subchannels].map((subchannel) => subchannel.getHealth());
  }

  /** Which connected backends health checking has taken out, and why. */
  private unhealthySummary(): { text: string; everyConnectedBackend: boolean } | undefined {
    const out: string[] = [];
    let connected = 0;
    for (const subchannel of this.subchannels) {
      const health = subchannel.getHealth();
      if (health.state === 'IDLE') continue;
      connected += 1;
      if (!health.healthy) out.push(`${health.address} ${health.state === 'FAILED' ? health.detail : health.state}`);
    }
    if (out.length === 0) return undefined;
    return {
      text: `health_check: no healthy backend for service "${this.serviceName}": ${out.join(', ')}`,
      everyConnectedBackend: out.length === connected,
    };
  }
}

let registered = false;

/**
 * Registers the `health_check` policy with the grpc-js this package sees (your
 * copy: it is a peer dependency). Importing the package does this; calling it
 * again does nothing.
 */
export function registerHealthCheckLoadBalancer(): void {
  if (registered) return;
  registered = true;
  experimental.registerLoadBalancerType(HEALTH_CHECK_POLICY_NAME, HealthCheckLoadBalancer, HealthCheckLoadBalancingConfig);
}
