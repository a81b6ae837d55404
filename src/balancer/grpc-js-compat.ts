/**
 * Every grpc-js behaviour this package relies on that grpc-js does not promise
 * in its public API, in one place. Each has a test in
 * test/balancer/grpc-js-compat.test.ts that fails if a grpc-js release changes it;
 * `scripts/test-grpc-js-versions.sh` runs those tests against the oldest and the
 * newest grpc-js the peer range admits.
 *
 * 1. A cancel can be lost while a call on a subchannel's channel starts: {@link cancelForGood}.
 * 2. A server call emits `'cancelled'` once whenever it ends, for any reason (the
 *    health server removes its watchers on it).
 * 3. round_robin's (and weighted_round_robin's) leaf pick_first honours
 *    `SubchannelInterface.isHealthy()` (the internal option
 *    `grpc-node.internal.pick-first.report_health_status`); a top-level
 *    pick_first ignores it, which is why the policy warns when its child is pick_first.
 * 4. `BackoffTimeout` reads 0 (any falsy option) as "use the default": {@link backoffTimeoutOptions}.
 * 5. `SubchannelInterface.getChannel()` (grpc-js >= 1.14) gives a channel on that one
 *    connection, usable as a client's `channelOverride`, whose `getTarget()` is the
 *    parent channel's target: {@link connectionChannel}.
 * 6. outlier_detection (and any wrapping parent) expects its own wrapper back in
 *    picks (`subchannel-interface.ts`): our picker unwraps.
 * 7. Child policies create their subchannels synchronously inside
 *    `updateAddressList`, and round_robin drops every child before building the
 *    new ones: the policy holds its checks across that call.
 * 8. The `experimental` exports in {@link EXPERIMENTAL_EXPORTS_USED} exist.
 * 9. grpc-js's policy registry is per module copy, and a CommonJS module imported
 *    from ESM appears in `require.cache` (how a second copy is detected).
 */
import type { ChannelInterface, experimental } from '@grpc/grpc-js';

/** The `experimental` exports of grpc-js this package uses. */
export const EXPERIMENTAL_EXPORTS_USED = [
  'BackoffTimeout',
  'BaseSubchannelWrapper',
  'ChildLoadBalancerHandler',
  'createChildChannelControlHelper',
  'isLoadBalancerNameRegistered',
  'log',
  'registerLoadBalancerType',
  'selectLbConfigFromList',
  'trace',
  'UnavailablePicker',
] as const;

/**
 * Cancels a client call for good. grpc-js (1.14) loses a cancel that arrives
 * while a call on a subchannel's own channel is still starting (it awaits
 * metadata before opening the stream, then opens it anyway), so cancel again
 * once that window has passed, and whenever the abandoned stream shows signs of life.
 */
export function cancelForGood(call: { cancel(): void; on(event: 'metadata', listener: () => void): unknown }): void {
  call.cancel();
  setImmediate(() => call.cancel());
  call.on('metadata', () => call.cancel());
}

/** The channel of one subchannel's connection, for a client's `channelOverride`. */
export function connectionChannel(subchannel: experimental.SubchannelInterface): ChannelInterface {
  return subchannel.getChannel();
}

/** Backoff settings in grpc-go's terms. */
export interface BackoffSettings {
  initialMs?: number;
  multiplier?: number;
  jitter?: number;
  maxMs?: number;
}

/**
 * `BackoffTimeout` options for `settings`. BackoffTimeout reads 0 as "default",
 * so a jitter of 0 becomes the smallest positive number (as good as none).
 * Other zeros must be rejected before they get here.
 */
export function backoffTimeoutOptions(settings: BackoffSettings): {
  initialDelay?: number;
  multiplier?: number;
  jitter?: number;
  maxDelay?: number;
} {
  return {
    initialDelay: settings.initialMs,
    multiplier: settings.multiplier,
    jitter: settings.jitter === 0 ? Number.MIN_VALUE : settings.jitter,
    maxDelay: settings.maxMs,
  };
}
