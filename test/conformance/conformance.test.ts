/**
 * The health protocol's rules, written once and run against every adapter
 * (servers.ts) over every protocol it serves (clients.ts).
 */
import assert from 'node:assert/strict';
import { setImmediate as turn } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { GrpcCode, type HealthServerOptions, type ServingStatus } from '../../src/index.js';
import { next, until, within } from '../helpers.js';
import { clientFor, type ProtocolClient, sendMalformedCheck } from './clients.js';
import { type AdapterUnderTest, type Protocol, SERVERS, type ServerUnderTest, startAdapter } from './servers.js';

const T = { timeout: 120_000 };

async function rejectsWithCode(promise: Promise<unknown>, code: number): Promise<void> {
  const error = await within(promise, 5000, `an error with code ${code}`).then(
    () => assert.fail(`expected code ${code}, got a success`),
    (e: unknown) => e as { code?: unknown; message?: string },
  );
  assert.equal(error.code, code, String(error.message));
}

/** One server and one client for the length of `body`. */
async function withHealth(
  adapter: AdapterUnderTest,
  protocol: Protocol,
  options: HealthServerOptions,
  body: (server: ServerUnderTest, client: ProtocolClient, signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const server = await startAdapter(adapter, options);
  const client = clientFor(protocol, server.addresses[protocol]!);
  const controller = new AbortController();
  try {
    await body(server, client, controller.signal);
  } finally {
    controller.abort();
    client.close();
    server.forceStop();
  }
}

for (const [name, adapter] of Object.entries(SERVERS)) {
  for (const protocol of adapter.protocols) {
    describe(`conformance: ${name} over ${protocol}`, T, () => {
      const run = (options: HealthServerOptions, body: Parameters<typeof withHealth>[3]) => withHealth(adapter, protocol, options, body);

      it('Check answers the status of a known service, "" SERVING from the start, NOT_FOUND otherwise', () =>
        run({}, async ({ health }, client) => {
          assert.equal(await client.check(''), 'SERVING');
          health.setStatus('a.A', 'NOT_SERVING');
          health.setStatus('b.B', 'UNKNOWN');
          assert.equal(await client.check('a.A'), 'NOT_SERVING');
          assert.equal(await client.check('b.B'), 'UNKNOWN');
          await rejectsWithCode(client.check('nobody.Here'), GrpcCode.NOT_FOUND);
          await rejectsWithCode(client.check('A.A'), GrpcCode.NOT_FOUND);
          health.clearStatus('a.A');
          await rejectsWithCode(client.check('a.A'), GrpcCode.NOT_FOUND);
        }));

      it('Watch sends the current status first, SERVICE_UNKNOWN for an unknown name, and stays open', () =>
        run({}, async ({ health }, client, signal) => {
          health.setStatus('w.Known', 'NOT_SERVING');
          const known = client.watch('w.Known', signal);
          assert.equal(await next(known), 'NOT_SERVING');
          const later = client.watch('w.Later', signal);
          assert.equal(await next(later), 'SERVICE_UNKNOWN');
          health.setStatus('w.Later', 'SERVING');
          assert.equal(await next(later), 'SERVING');
          health.clearStatus('w.Later');
          assert.equal(await next(later), 'SERVICE_UNKNOWN');
        }));

      it('Watch sends only changes: repeated statuses and other services send nothing', () =>
        run({}, async ({ health }, client, signal) => {
          health.setStatus('w.Same', 'SERVING');
          const watch = client.watch('w.Same', signal);
          assert.equal(await next(watch), 'SERVING');
          for (let i = 0; i < 5; i++) {
            health.setStatus('w.Same', 'SERVING');
            health.setStatus('w.Other', i % 2 ? 'SERVING' : 'NOT_SERVING');
            await turn();
          }
          health.setStatus('w.Same', 'NOT_SERVING');
          // A duplicate or another service's change would arrive before this one.
          assert.equal(await next(watch), 'NOT_SERVING');
        }));

      // gRPC-Web here runs over HTTP/1.1, where only TCP pushes back: loopback socket
      // buffers hold hundreds of thousands of messages, too many for a bounded test.
      // The same core slot serves it; the stall itself is tested over HTTP/2.
      const stallable = protocol !== 'grpc-web';
      it(
        'Watch keeps only the newest status for a stalled reader: the last one arrives, no duplicates',
        { skip: !stallable, timeout: 60_000 },
        () =>
          run({}, async ({ health }, client, signal) => {
            health.setStatus('w.Slow', 'SERVING');
            const watch = client.watch('w.Slow', signal);
            assert.equal(await next(watch), 'SERVING');
            // The reader stops reading; one flip per turn of the event loop, so each
            // could be written if the transport took it.
            // More than any Node version's HTTP/2 buffers let through to a paused reader (Node 22 and 24: about 18,700).
            const flips = 30_000;
            for (let i = 0; i < flips; i++) {
              health.setStatus('w.Slow', i % 2 === 0 ? 'NOT_SERVING' : 'SERVING');
              await turn();
            }
            health.setStatus('w.Slow', 'UNKNOWN');
            const received: ServingStatus[] = [];
            while (received.at(-1) !== 'UNKNOWN') received.push(await next(watch, 10_000, 'the final UNKNOWN'));
            for (let i = 1; i < received.length; i++) assert.notEqual(received[i], received[i - 1], `duplicate at ${i}`);
            // A server that queued every status would deliver all of them.
            assert.ok(received.length < flips, `received ${received.length} of ${flips + 1}`);
            console.log(`# ${name} over ${protocol}: stalled reader received ${received.length} of ${flips + 1}`);
          }),
      );

      it('List answers every service, and RESOURCE_EXHAUSTED past its limit', () =>
        run({ maxListedServices: 3 }, async ({ health }, client) => {
          health.setStatus('a.A', 'NOT_SERVING');
          health.setStatus('b.B', 'UNKNOWN');
          assert.deepEqual([...(await client.list())].sort(), [
            ['', 'SERVING'],
            ['a.A', 'NOT_SERVING'],
            ['b.B', 'UNKNOWN'],
          ]);
          health.setStatus('c.C', 'SERVING');
          await rejectsWithCode(client.list(), GrpcCode.RESOURCE_EXHAUSTED);
        }));

      it('shutdown makes everything NOT_SERVING; resume restores what was set, also during shutdown', () =>
        run({ statuses: { 'a.A': 'SERVING' } }, async ({ health }, client, signal) => {
          const watch = client.watch('a.A', signal);
          assert.equal(await next(watch), 'SERVING');
          health.shutdown();
          assert.equal(await next(watch), 'NOT_SERVING');
          assert.equal(await client.check(''), 'NOT_SERVING');
          health.setStatus('a.A', 'UNKNOWN');
          assert.equal(await client.check('a.A'), 'NOT_SERVING');
          health.resume();
          assert.equal(await next(watch), 'UNKNOWN');
          assert.equal(await client.check(''), 'SERVING');
        }));

      it('endWatches ends open Watch streams with UNAVAILABLE, so a graceful stop finishes', () =>
        run({}, async (server, client, signal) => {
          const watches = [client.watch('', signal), client.watch('w.Unknown', signal)];
          assert.equal(await next(watches[0]!), 'SERVING');
          assert.equal(await next(watches[1]!), 'SERVICE_UNKNOWN');
          await until(() => server.health.watcherCount() === 2, 5000, 'both watchers');
          const stopped = server.stop();
          assert.equal(server.health.endWatches(), 2);
          for (const watch of watches) await rejectsWithCode(watch.next(), GrpcCode.UNAVAILABLE);
          await within(stopped, 5000, 'the graceful stop');
          assert.equal(server.health.watcherCount(), 0);
        }));

      it('a watcher that cancels leaves the registry', () =>
        run({}, async ({ health }, client) => {
          const controller = new AbortController();
          const watch = client.watch('w.Gone', controller.signal);
          assert.equal(await next(watch), 'SERVICE_UNKNOWN');
          assert.equal(health.unknownWatcherCount, 1);
          controller.abort();
          await watch.return?.();
          await until(() => health.watcherCount() === 0, 5000, 'the watcher to go');
          assert.equal(health.unknownWatcherCount, 0);
        }));

      it('answers bad input with a status: over-long names, too many unknown watches, malformed bytes', () =>
        run({ maxUnknownWatchers: 1, maxServiceNameLength: 64 }, async ({ health, addresses }, client, signal) => {
          const long = 'x'.repeat(65);
          await rejectsWithCode(client.check(long), GrpcCode.NOT_FOUND);
          await rejectsWithCode(next(client.watch(long, signal)), GrpcCode.INVALID_ARGUMENT);
          const first = client.watch('u.One', signal);
          assert.equal(await next(first), 'SERVICE_UNKNOWN');
          await rejectsWithCode(next(client.watch('u.Two', signal)), GrpcCode.RESOURCE_EXHAUSTED);
          assert.equal(health.unknownWatcherCount, 1);
          const code = await sendMalformedCheck(protocol, addresses[protocol]!);
          assert.ok(code !== undefined && code !== GrpcCode.OK, `malformed request answered ${String(code)}`);
          assert.equal(await client.check(''), 'SERVING');
        }));
    });
  }
}
