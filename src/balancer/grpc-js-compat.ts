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
 * 4. (Retired: the Watch loop has its own backoff, src/client/backoff.ts, so
 *    grpc-js's `BackoffTimeout` and its reading of 0 as "default" are not relied on.)
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
 * 10. grpc-js parses a service config's `methodConfig.waitForReady` but never
 *    reads it; only `metadata.setOptions({ waitForReady: true })` makes a call wait
 *    for a healthy backend (there is no call option for it).
 * 11. A call started on a closed client (`Client.close()`) throws `Channel has been
 *    shut down` synchronously, an `Error` with no gRPC code, and the channel then
 *    reports SHUTDOWN: {@link callStartFailure} tells that from other throws.
 * 12. A client stream emits `'error'` (non-OK status) immediately before `'status'`,
 *    and `'status'` before `'end'` and `'close'`: an `'error'` or `'close'` with no
 *    `'status'` means grpc-js dropped the call (the Watch loop counts it as a failure).
 * 13. On Node 20, a response whose trailers exceed the client's header list limit (a
 *    1 MB `grpc-message`) wedges the HTTP/2 session: the call gets no event at all,
 *    the channel stays READY, nothing holds the event loop; only a keepalive ping
 *    ends the call (UNAVAILABLE). On Node 22 and later the call ends INTERNAL. The CLI
 *    `watch` ends with a line when the event loop empties under it.
 */
import { type ChannelInterface, connectivityState as ConnectivityState, type experimental, status as GrpcStatus } from '@grpc/grpc-js';

/** The `experimental` exports of grpc-js this package uses. */
export const EXPERIMENTAL_EXPORTS_USED = [
  'BaseSubchannelWrapper',
  'ChildLoadBalancerHandler',
  'createChildChannelControlHelper',
  'isLoadBalancerNameRegistered',
  'log',
  'parseLoadBalancingConfig',
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

/** What a call that grpc-js refused to start failed with. */
export interface CallStartFailure {
  code: GrpcStatus;
  details: string;
  /** The client's channel is closed: no later call can start either. */
  closed: boolean;
}

/**
 * Reads what grpc-js threw when asked to start a call on `client` (see 11): on a
 * closed client, CANCELLED (grpc-go's code for a call on a closed connection);
 * otherwise INTERNAL with the thrown message.
 */
export function callStartFailure(client: unknown, thrown: unknown): CallStartFailure {
  const channel = (client as { getChannel?: () => ChannelInterface }).getChannel?.();
  if (channel?.getConnectivityState(false) === ConnectivityState.SHUTDOWN) {
    return { code: GrpcStatus.CANCELLED, details: 'the client is closed', closed: true };
  }
  const text = thrown instanceof Error ? thrown.message : String(thrown);
  return { code: GrpcStatus.INTERNAL, details: `the call could not start: ${text}`, closed: false };
}
