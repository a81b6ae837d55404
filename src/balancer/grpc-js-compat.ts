/**
 * Every grpc-js behaviour this package relies on that grpc-js does not promise
 * in its public API, in one place. Each has a test in
 * test/balancer/grpc-js-compat.test.ts that fails if a grpc-js release changes it;
 * `scripts/test-grpc-js-versions.sh` runs those tests against the oldest and the
 * newest grpc-js the peer range admits.
 */

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
