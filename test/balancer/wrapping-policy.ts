/**
 * `test_wrapping`: a custom policy for tests that wraps every subchannel (as
 * outlier_detection does) and delegates to a child policy. Its picker calls a
 * method only its own wrappers have, so it fails loudly if a child policy hands
 * it someone else's wrapper, and counts picks per backend.
 */
import { type ChannelOptions, experimental } from '@grpc/grpc-js';

export const WRAPPING_POLICY_NAME = 'test_wrapping';

/** Every subchannel `test_wrapping` got from its parent, newest last. */
export const wrappedSubchannels: experimental.SubchannelInterface[] = [];

/** Picks the `test_wrapping` pickers handed out, by backend address. */
export const wrappingPicks = new Map<string, number>();

class TaggedSubchannel extends experimental.BaseSubchannelWrapper {
  tag(): experimental.SubchannelInterface {
    return this.child;
  }
}

class WrappingConfig implements experimental.TypedLoadBalancingConfig {
  constructor(readonly child: experimental.TypedLoadBalancingConfig) {}
  getLoadBalancerName(): string {
    return WRAPPING_POLICY_NAME;
  }
  toJsonObject(): object {
    return { [WRAPPING_POLICY_NAME]: { childPolicy: [this.child.toJsonObject()] } };
  }
  static createFromJson(raw: { childPolicy?: object[] }): WrappingConfig {
    const child = experimental.selectLbConfigFromList((raw.childPolicy ?? [{ round_robin: {} }]) as never);
    if (!child) throw new Error('test_wrapping: no usable child policy');
    return new WrappingConfig(child);
  }
}

class WrappingPolicy implements experimental.LoadBalancer {
  private readonly child: experimental.ChildLoadBalancerHandler;
  constructor(helper: experimental.ChannelControlHelper) {
    this.child = new experimental.ChildLoadBalancerHandler(
      experimental.createChildChannelControlHelper(helper, {
        createSubchannel: (address, args) => {
          const subchannel = helper.createSubchannel(address, args);
          wrappedSubchannels.push(subchannel);
          return new TaggedSubchannel(subchannel);
        },
        updateState: (state, picker, errorMessage) =>
          helper.updateState(
            state,
            {
              pick(args) {
                const result = picker.pick(args);
                if (result.pickResultType !== experimental.PickResultType.COMPLETE || !result.subchannel) return result;
                const own = (result.subchannel as TaggedSubchannel).tag(); // TypeError if not ours
                wrappingPicks.set(own.getAddress(), (wrappingPicks.get(own.getAddress()) ?? 0) + 1);
                return { ...result, subchannel: own };
              },
            },
            errorMessage,
          ),
      }),
    );
  }
  updateAddressList(
    endpoints: experimental.StatusOr<experimental.Endpoint[]>,
    config: experimental.TypedLoadBalancingConfig,
    options: ChannelOptions,
    note: string,
  ): boolean {
    if (!(config instanceof WrappingConfig)) return false;
    return this.child.updateAddressList(endpoints, config.child, options, note);
  }
  exitIdle(): void {
    this.child.exitIdle();
  }
  resetBackoff(): void {
    this.child.resetBackoff();
  }
  destroy(): void {
    this.child.destroy();
  }
  getTypeName(): string {
    return WRAPPING_POLICY_NAME;
  }
}

experimental.registerLoadBalancerType(WRAPPING_POLICY_NAME, WrappingPolicy, WrappingConfig);
