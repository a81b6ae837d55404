import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { setImmediate as turn } from 'node:timers/promises';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { GeneratedHealthClient, type HealthServer, HealthRpcError } from '../../src/index.js';
import { insecure, next, startHealth, until, within } from '../helpers.js';

/** Distinct TCP connections, so cancels spread over several HTTP/2 sessions. */
function rawClients(address: string, count: number): GeneratedHealthClient[] {
  return Array.from(
    { length: count },
    (_, i) => new GeneratedHealthClient(address, insecure(), { 'grpc.use_local_subchannel_pool': 1, 'test.connection': i }),
  );
}

/** Names with a registry entry. Read from the private map on purpose: it is what leaked elsewhere. */
function watchedNames(health: HealthServer): number {
  return (health as unknown as { watchers: Map<string, unknown> }).watchers.size;
}

describe('Watch: slow readers', () => {
  it('costs constant memory under HTTP/2 back-pressure, delivers the newest last, never a duplicate', { timeout: 120_000 }, async () => {
    const h = await startHealth();
    try {
      h.health.setStatus('slow.S', 'SERVING');
      const call = h.client.raw.watch({ service: 'slow.S' });
      const received: number[] = [];
      call.on('data', (reply: { status: number }) => received.push(reply.status));
      await until(() => received.length === 1, 2000, 'the first message');

      // The reader stops reading while the status flips `flips` times, one flip per turn
      // of the event loop (so each could be written if the reader took it), then ends on
      // UNKNOWN (0) and reads again. Returns how many statuses reached the reader.
      const flood = async (flips: number): Promise<number> => {
        const before = received.length;
        call.pause();
        for (let i = 0; i < flips; i++) {
          h.health.setStatus('slow.S', i % 2 === 0 ? 'NOT_SERVING' : 'SERVING');
          await turn();
        }
        h.health.setStatus('slow.S', 'UNKNOWN');
        call.resume();
        await until(() => received.length > before && received.at(-1) === 0, 15_000, 'the final UNKNOWN');
        return received.length - before;
      };

      // What gets through while the reader is paused is what the transport buffers: the
      // HTTP/2 windows and stream buffers, which differ between Node versions. Measure it.
      const firstFlips = 30_000;
      const window = await flood(firstFlips);
      console.log(`# slow reader: ${window} of ${firstFlips + 1} statuses got through`);
      assert.ok(window < firstFlips + 1, 'the flood should fill the transport buffers; make it longer');

      // Twice the flips: a server that queued every status would now deliver ~2x as many.
      // Ours holds one waiting status per watcher, so the transport's share stays the same.
      const secondFlips = 2 * firstFlips;
      const second = await flood(secondFlips);
      console.log(`# slow reader: ${second} of ${secondFlips + 1} statuses got through`);
      assert.ok(second <= window * 1.2 + 100, `${second} statuses got through the second time, ${window} the first`);

      // The newest status arrived last: a new one follows the final UNKNOWN directly.
      h.health.setStatus('slow.S', 'SERVING');
      await until(() => received.at(-1) === 1, 5000, 'the status after the floods');
      assert.equal(received.at(-2), 0, 'a stale status arrived after the newest');
      for (let i = 1; i < received.length; i++) assert.notEqual(received[i], received[i - 1], `duplicate at ${i}`);
      call.on('error', () => {}); // the CANCELLED we cause next
      call.cancel();
      await until(() => h.health.watcherCount() === 0, 2000, 'the watcher to go');
    } finally {
      h.close();
    }
  });
});

describe('Watch: cleanup', () => {
  it('leaves nothing behind after thousands of cancelled watches on unknown names', async () => {
    const h = await startHealth({ maxUnknownWatchers: 5000 });
    const clients = rawClients(h.address, 4);
    try {
      h.health.setStatus('known.K', 'SERVING');
      const calls: grpc.ClientReadableStream<unknown>[] = [];
      let answered = 0;
      for (let i = 0; i < 3000; i++) {
        const service = i % 3 === 0 ? 'known.K' : `random.${i}`;
        const call = clients[i % clients.length]!.watch({ service });
        call.once('data', () => (answered += 1));
        call.on('error', () => {});
        calls.push(call);
      }
      await until(() => answered === 3000, 10_000, '3000 first messages');
      assert.equal(h.health.watcherCount(), 3000);
      assert.equal(h.health.unknownWatcherCount, 2000);
      assert.equal(h.health.watcherCount('known.K'), 1000);

      for (const call of calls) call.cancel();
      await until(() => h.health.watcherCount() === 0, 10_000, 'every watcher to be removed');
      assert.equal(h.health.unknownWatcherCount, 0);
      assert.equal(watchedNames(h.health), 0, 'an empty watcher set was left behind');
    } finally {
      for (const client of clients) client.close();
      h.close();
    }
  });

  it('cleans up after a client process that is killed mid-stream', async () => {
    const h = await startHealth();
    const script = fileURLToPath(new URL('../fixtures/watch-client.js', import.meta.url));
    const child = spawn(process.execPath, [script, h.address, '200', 'vanish.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const [line] = (await within(once(child.stdout, 'data'), 10_000, 'the child to be ready')) as [Buffer];
      assert.match(line.toString(), /ready/);
      assert.equal(h.health.watcherCount(), 200);
      child.kill('SIGKILL');
      await until(() => h.health.watcherCount() === 0, 5000, "the dead client's watchers to go");
      assert.equal(h.health.unknownWatcherCount, 0);
      assert.equal(watchedNames(h.health), 0);
    } finally {
      child.kill('SIGKILL');
      h.close();
    }
  });

  it('removes a watcher when the client leaves the loop', async () => {
    const h = await startHealth();
    try {
      const leave = async () => {
        for await (const status of h.client.watch('')) {
          assert.equal(status, 'SERVING');
          assert.equal(h.health.watcherCount(''), 1);
          break;
        }
      };
      await within(leave(), 2000, 'the first status');
      await until(() => h.health.watcherCount() === 0, 2000, 'the watcher to go');
    } finally {
      h.close();
    }
  });
});

describe('Watch: the cap on unknown names', () => {
  it('answers RESOURCE_EXHAUSTED past the cap and frees slots on cancel and on registration', async () => {
    const h = await startHealth({ maxUnknownWatchers: 3 });
    try {
      const watches = ['u.1', 'u.2', 'u.3'].map((name) => h.client.watch(name));
      for (const watch of watches) assert.equal(await next(watch), 'SERVICE_UNKNOWN');
      assert.equal(h.health.unknownWatcherCount, 3);

      const refused = await next(h.client.watch('u.4')).catch((e: unknown) => e);
      assert.ok(refused instanceof HealthRpcError);
      assert.equal(refused.code, grpc.status.RESOURCE_EXHAUSTED);
      assert.match(refused.details, /limit 3/);

      // Known names are never refused.
      assert.equal(await next(h.client.watch('')), 'SERVING');

      // Registering a watched name turns its watchers into known ones: a slot frees.
      h.health.setStatus('u.1', 'SERVING');
      assert.equal(await next(watches[0]!), 'SERVING');
      assert.equal(h.health.unknownWatcherCount, 2);
      const fourth = h.client.watch('u.4');
      assert.equal(await next(fourth), 'SERVICE_UNKNOWN');

      // Clearing it makes them unknown again (over the cap for a moment; new ones wait).
      h.health.clearStatus('u.1');
      assert.equal(await next(watches[0]!), 'SERVICE_UNKNOWN');
      assert.equal(h.health.unknownWatcherCount, 4);

      // Cancelling frees slots.
      await watches[1]!.return();
      await watches[2]!.return();
      await until(() => h.health.unknownWatcherCount === 2, 2000, 'two slots to free');
      assert.equal(await next(h.client.watch('u.5')), 'SERVICE_UNKNOWN');
    } finally {
      h.close();
    }
  });
});
