import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {
  HealthClient,
  type HealthServiceHandlers,
  HealthService,
  type HealthWatchEvent,
  HealthWatchLoop,
} from '../../src/index.js';
import { insecure, next, startHealth, startServer, until, within } from '../helpers.js';

/** A health service whose Watch runs `watch` with the attempt number (0-based). */
async function scriptedServer(watch: (call: Parameters<HealthServiceHandlers['watch']>[0], attempt: number) => void) {
  let attempts = 0;
  const times: number[] = [];
  const running = await startServer((server) =>
    server.addService(HealthService, {
      check: (_call, callback) => callback(null, { status: 1 }),
      list: (_call, callback) => callback(null, { statuses: {} }),
      watch: (call) => {
        times.push(Date.now());
        watch(call, attempts++);
      },
    } satisfies HealthServiceHandlers),
  );
  return { ...running, times, attempts: () => attempts };
}

function collect(client: HealthClient, service: string, options: ConstructorParameters<typeof HealthWatchLoop>[3] = {}) {
  const events: HealthWatchEvent[] = [];
  const loop = new HealthWatchLoop(client.raw, service, (event) => events.push(event), options);
  return { loop, events };
}

describe('HealthWatchLoop: the client rules', () => {
  it('backs off exponentially while attempts get no message', async () => {
    const server = await scriptedServer((call) =>
      call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'not yet' }),
    );
    const client = new HealthClient(server.address, insecure());
    const { loop, events } = collect(client, 's', { backoff: { initialMs: 40, multiplier: 2, jitter: 0, maxMs: 1000 } });
    try {
      loop.start();
      await until(() => server.times.length >= 5, 5000, 'five attempts');
      loop.stop();
      const gaps = server.times.slice(1).map((t, i) => t - server.times[i]!);
      // 40, 80, 160, 320 ms (timers may fire late, never early; allow scheduling slack)
      [40, 80, 160, 320].forEach((expected, i) => {
        assert.ok(gaps[i]! >= expected - 5 && gaps[i]! < expected + 120, `gap ${i} was ${gaps[i]} ms, expected ~${expected}`);
      });
      const failures = events.filter((e) => e.type === 'failure');
      assert.ok(failures.length >= 4);
      assert.deepEqual(
        failures.slice(0, 4).map((e) => (e.type === 'failure' ? Math.round(e.retryInMs / 10) * 10 : -1)),
        [40, 80, 160, 320],
      );
      assert.equal(failures[0]!.type === 'failure' && failures[0]!.error.code, grpc.status.UNAVAILABLE);
    } finally {
      loop.stop();
      client.close();
      server.stop();
    }
  });

  it('retries at once after an attempt that got a message, and the backoff restarts', async () => {
    // Attempts 0 and 1 send SERVING then fail; 2 and 3 fail bare; 4 stays open.
    const server = await scriptedServer((call, attempt) => {
      if (attempt <= 1) {
        call.write({ status: 1 });
        setTimeout(() => call.emit('error', { code: grpc.status.INTERNAL, details: 'boom' }), 10);
      } else if (attempt <= 3) {
        call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'bare' });
      } else {
        call.write({ status: 2 });
      }
    });
    const client = new HealthClient(server.address, insecure());
    const { loop, events } = collect(client, 's', { backoff: { initialMs: 100, multiplier: 2, jitter: 0 } });
    try {
      loop.start();
      await until(() => events.some((e) => e.type === 'status' && e.status === 'NOT_SERVING'), 5000, 'attempt 5');
      const gaps = server.times.slice(1).map((t, i) => t - server.times[i]!);
      assert.ok(gaps[0]! < 90, `after a message: retried after ${gaps[0]} ms`); // 10 ms stream + immediate
      assert.ok(gaps[1]! < 90, `after a message: retried after ${gaps[1]} ms`);
      assert.ok(gaps[2]! >= 95 && gaps[2]! < 195, `first bare failure: ${gaps[2]} ms`);
      assert.ok(gaps[3]! >= 195 && gaps[3]! < 300, `second bare failure: ${gaps[3]} ms`);
      const failures = events.filter((e) => e.type === 'failure');
      assert.deepEqual(failures.map((e) => (e.type === 'failure' && e.retryInMs > 0 ? 'backoff' : 'now')), ['now', 'now', 'backoff', 'backoff']);
    } finally {
      loop.stop();
      client.close();
      server.stop();
    }
  });

  it('treats a stream the server ends with OK as a failure and retries', async () => {
    const server = await scriptedServer((call, attempt) => {
      call.write({ status: 1 });
      if (attempt === 0) call.end();
    });
    const client = new HealthClient(server.address, insecure());
    const { loop, events } = collect(client, 's');
    try {
      loop.start();
      await until(() => server.attempts() === 2 && events.length === 3, 3000, 'the second attempt');
      assert.deepEqual(
        events.map((e) => e.type),
        ['status', 'failure', 'status'],
      );
      assert.match(events[1]!.type === 'failure' ? events[1]!.error.details : '', /ended the stream/);
    } finally {
      loop.stop();
      client.close();
      server.stop();
    }
  });

  it('stops for good on UNIMPLEMENTED', async () => {
    const running = await startServer(() => {});
    const client = new HealthClient(running.address, insecure());
    const { loop, events } = collect(client, 's', { backoff: { initialMs: 10 } });
    try {
      loop.start();
      await until(() => events.length === 1, 2000, 'the UNIMPLEMENTED event');
      assert.equal(events[0]!.type, 'unimplemented');
      assert.equal(loop.running, false);
    } finally {
      loop.stop();
      client.close();
      running.stop();
    }
  });

  it('stop() cancels the stream and reports nothing more', async () => {
    const h = await startHealth();
    const { loop, events } = collect(h.client, '');
    try {
      loop.start();
      loop.start(); // twice is harmless
      await until(() => events.length === 1, 2000, 'the first status');
      assert.equal(h.health.watcherCount(), 1);
      loop.stop();
      await until(() => h.health.watcherCount() === 0, 2000, 'the server to see the cancel');
      h.health.setStatus('', 'NOT_SERVING');
      assert.deepEqual(events, [{ type: 'status', status: 'SERVING' }]);
    } finally {
      h.close();
    }
  });
});

describe('HealthClient.watchHealth', () => {
  it('yields statuses and failures across a server restart, and ends on abort', async () => {
    const h = await startHealth();
    const controller = new AbortController();
    const events = h.client.watchHealth('', { signal: controller.signal, backoff: { initialMs: 20, maxMs: 50 } });
    try {
      assert.deepEqual(await next(events), { type: 'status', status: 'SERVING' });
      h.server.forceShutdown();
      const failure = await next(events);
      assert.equal(failure.type, 'failure');
      // Restart on the same port: the loop reconnects by itself.
      const { HealthServer } = await import('../../src/index.js');
      const again = new HealthServer({ statuses: { '': 'NOT_SERVING' } });
      const server = new grpc.Server();
      again.addToServer(server);
      await new Promise<void>((resolve, reject) =>
        server.bindAsync(h.address, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())),
      );
      try {
        for (;;) {
          const event = await next(events, 5000, 'the status after the restart');
          if (event.type === 'status') {
            assert.equal(event.status, 'NOT_SERVING');
            break;
          }
        }
        controller.abort();
        assert.equal((await within(events.next(), 2000, 'the end')).done, true);
        await until(() => again.watcherCount() === 0, 2000, 'the Watch to end');
      } finally {
        server.forceShutdown();
      }
    } finally {
      h.close();
    }
  });

  it('ends after unimplemented', async () => {
    const running = await startServer(() => {});
    const client = new HealthClient(running.address, insecure());
    try {
      const seen: string[] = [];
      for await (const event of client.watchHealth('x')) seen.push(event.type);
      assert.deepEqual(seen, ['unimplemented']);
    } finally {
      client.close();
      running.stop();
    }
  });
});
