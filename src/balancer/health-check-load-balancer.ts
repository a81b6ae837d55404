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
import { type BackendHealth, HealthCheckingSubchannel, TRACER_NAME } from './health-checking-subchannel.js';

const livePolicies = new Set<HealthCheckLoadBalancer>();

/** The health of every backend of every health-checked channel in this process, for metrics. */
export function backendHealth(): BackendHealth[] {
  return [...livePolicies].flatMap((policy) => policy.getBackendHealth());
}

function trace(text: string): void {
  experimental.trace(logVerbosity.DEBUG, TRACER_NAME, text);
}

/** The policy. grpc-js creates one per channel whose config names `health_check`. */
export class HealthCheckLoadBalancer implements experimental.LoadBalancer {
  private readonly child: experimental.ChildLoadBalancerHandler;
  private readonly subchannels = new Set<HealthCheckingSubchannel>();
  private serviceName = '';
  private backoff: BackoffOptions | undefined;
  private checking = true;

  constructor(helper: experimental.ChannelControlHelper) {
    this.child = new experimental.ChildLoadBalancerHandler(
      experimental.createChildChannelControlHelper(helper, {
        createSubchannel: (address, args) => {
          const subchannel = helper.createSubchannel(address, args);
          if (!this.checking) return subchannel;
          const wrapper = new HealthCheckingSubchannel(subchannel, this.serviceName, this.backoff, (changed, destroyed) => {
            if (destroyed) this.subchannels.delete(changed);
          });
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
    livePolicies.delete(this);
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
