/**
 * The `health_check` load-balancing policy: client-side health checking (gRFC A17)
 * for grpc-js channels, as grpc-go does for `healthCheckConfig`.
 *
 * It wraps every subchannel its child policy creates in a
 * {@link HealthCheckingSubchannel}, backed by one shared Watch per (connection,
 * service). round_robin, weighted_round_robin and any policy built on grpc-js's
 * leaf pick_first then send RPCs only to SERVING backends. With pick_first as the
 * child, health checking is off, as A17 specifies, and the policy says so once.
 *
 * Its picker hands the parent back the subchannel the parent created (grpc-js's
 * `subchannel-interface.ts` contract), so it composes under outlier_detection and
 * any other policy that wraps subchannels.
 */
import { type ChannelOptions, connectivityState as ConnectivityState, experimental, status as GrpcStatus } from '@grpc/grpc-js';
import type { BackoffOptions } from '../client/watch-loop.js';
import { HealthArgumentError } from '../errors.js';
import { HEALTH_CHECK_POLICY_NAME, HealthCheckLoadBalancingConfig } from './health-check-config.js';
import { type BackendHealth, warn } from './backend-health.js';
import { HealthCheckingSubchannel, type WrapperEvents } from './health-checking-subchannel.js';
import { type HealthCheckRegistry, type SharedHealthCheck, sharedHealthChecks } from './shared-health-check.js';

const livePolicies = new Set<HealthCheckLoadBalancer>();

/** A channel, a client, or a channel's target string (`client.getChannel().getTarget()`). */
export type ChannelSelector = string | { getTarget(): string } | { getChannel(): { getTarget(): string } };

function targetOf(selector: ChannelSelector): string {
  if (typeof selector === 'string') return selector;
  const found = selector as Partial<{ getTarget(): string; getChannel(): { getTarget(): string } }> | null;
  if (typeof found?.getChannel === 'function') return found.getChannel().getTarget();
  if (typeof found?.getTarget === 'function') return found.getTarget();
  throw new HealthArgumentError('backendHealth: channel must be a client, a channel or a target string');
}

/**
 * The health of every backend of every health-checked channel in this process,
 * one entry per (connection, service) however many channels share the connection,
 * or only of one channel's backends: pass the client, its channel, or its target
 * as grpc-js prints it (`client.getChannel().getTarget()`).
 *
 * @throws {@link HealthArgumentError} for a `channel` that is none of these.
 */
export function backendHealth(channel?: ChannelSelector): BackendHealth[] {
  const target = channel === undefined ? undefined : targetOf(channel);
  const checks = new Set<SharedHealthCheck>();
  for (const policy of livePolicies) for (const check of policy.heldChecks()) checks.add(check);
  const all = [...checks].map((check) => check.health);
  return target === undefined ? all : all.filter((health) => health.target === target);
}

export { onBackendHealthChange } from './backend-health.js';

/** Hands the parent the subchannel it created, not our wrapper of it. */
class UnwrappingPicker implements experimental.Picker {
  constructor(private readonly child: experimental.Picker) {}

  pick(args: experimental.PickArgs): experimental.PickResult {
    const result = this.child.pick(args);
    const subchannel = result.subchannel;
    if (!(subchannel instanceof HealthCheckingSubchannel)) return result;
    // A literal of one fixed shape: several times cheaper per pick than a spread.
    return {
      pickResultType: result.pickResultType,
      subchannel: subchannel.getWrappedSubchannel(),
      status: result.status,
      onCallStarted: result.onCallStarted,
      onCallEnded: result.onCallEnded,
    };
  }
}

/** The text logged once per channel whose `health_check` child is pick_first. */
export function pickFirstWarning(target: string, serviceName: string): string {
  return (
    `health_check: health checking is OFF for channel ${target}: its child policy is pick_first ` +
    `(also grpc's default when a service config names no policy), which ignores backend health (gRFC A17), ` +
    `so RPCs still reach backends whose "${serviceName}" is NOT_SERVING. ` +
    `Fix: name round_robin, e.g. {"loadBalancingConfig":[{"round_robin":{}}],"healthCheckConfig":{"serviceName":"${serviceName}"}} ` +
    `or healthCheckChannelOptions('${serviceName}')`
  );
}

/** The policy. grpc-js creates one per channel whose config names `health_check`. */
export class HealthCheckLoadBalancer implements experimental.LoadBalancer, WrapperEvents {
  private readonly child: experimental.ChildLoadBalancerHandler;
  /** Wrappers grpc-js holds (referenced, not yet destroyed). */
  private readonly subchannels = new Set<HealthCheckingSubchannel>();
  private serviceName = '';
  private backoff: BackoffOptions | undefined;
  private checking = true;
  private warnedPickFirst = false;

  constructor(
    helper: experimental.ChannelControlHelper,
    /** Where checks are shared; tests pass their own. */
    private readonly checks: HealthCheckRegistry = sharedHealthChecks,
  ) {
    this.child = new experimental.ChildLoadBalancerHandler(
      experimental.createChildChannelControlHelper(helper, {
        createSubchannel: (address, args) => {
          const subchannel = helper.createSubchannel(address, args);
          if (!this.checking) {
            this.warnPickFirst(subchannel);
            return subchannel;
          }
          return new HealthCheckingSubchannel(subchannel, this.serviceName, this.backoff, this.checks, this);
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
          helper.updateState(state, new UnwrappingPicker(picker), errorMessage);
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
    this.checking = config.childPolicy.getLoadBalancerName() !== 'pick_first';
    this.backoff = config.backoff;
    // Running checks take the new backoff at once (their next delay uses it).
    for (const subchannel of this.subchannels) subchannel.setBackoff(config.backoff);
    if (config.serviceName !== this.serviceName) {
      this.serviceName = config.serviceName;
      for (const subchannel of this.subchannels) subchannel.setServiceName(config.serviceName);
    }
    // round_robin drops all its children before it builds new ones: hold every
    // running check across the update, so that a new wrapper of the same
    // connection takes it over (no new stream, never a moment unhealthy).
    const held = [...this.subchannels].map((subchannel) => subchannel.holdCheck());
    try {
      return this.child.updateAddressList(endpoints, config.childPolicy, options, resolutionNote);
    } finally {
      for (const lease of held) lease?.release();
    }
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

  /** {@inheritDoc WrapperEvents.referenced} */
  referenced(wrapper: HealthCheckingSubchannel): void {
    this.subchannels.add(wrapper);
  }

  /** {@inheritDoc WrapperEvents.destroyed} */
  destroyed(wrapper: HealthCheckingSubchannel): void {
    this.subchannels.delete(wrapper);
  }

  /** The shared checks this channel's wrappers hold, each once. */
  heldChecks(): Set<SharedHealthCheck> {
    const checks = new Set<SharedHealthCheck>();
    for (const subchannel of this.subchannels) {
      const check = subchannel.heldCheck();
      if (check) checks.add(check);
    }
    return checks;
  }

  /** The health of this channel's backends, one entry per (connection, service). */
  getBackendHealth(): BackendHealth[] {
    return [...this.heldChecks()].map((check) => check.health);
  }

  private warnPickFirst(subchannel: experimental.SubchannelInterface): void {
    if (this.warnedPickFirst) return;
    this.warnedPickFirst = true;
    warn(pickFirstWarning(subchannel.getChannel().getTarget(), this.serviceName));
  }

  /** Which connected backends health checking has taken out, and why. */
  private unhealthySummary(): { text: string; everyConnectedBackend: boolean } | undefined {
    const out: string[] = [];
    let connected = 0;
    for (const health of this.getBackendHealth()) {
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
