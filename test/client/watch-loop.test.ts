import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { HealthClient as GeneratedHealthClient } from '../../src/generated/grpc/health/v1/health.js';
import {
  type BackoffOptions,
  HealthArgumentError,
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

/** A Watch call the test ends by hand. */
class FakeCall extends EventEmitter {
  cancelled = false;
  cancel(): void {
    this.cancelled = true;
  }
  /** The server sends a status message. */
  message(status = 1): void {
    this.emit('data', { status });
  }
  /** The stream ends with `code`. */
  end(code = grpc.status.UNAVAILABLE): void {
    this.emit('status', { code, details: 'scripted', metadata: new grpc.Metadata() });
  }
  /** grpc-js drops the call: the stream ends with no status. */
  drop(): void {
    this.emit('end');
    this.emit('close');
  }
}

/**
 * A HealthWatchLoop over a fake client, with setTimeout faked: attempts open only
 * when the test advances the clock, so delays are checked to the millisecond.
 */
function fakeLoop(
  backoff?: BackoffOptions,
  startCall: () => FakeCall = () => new FakeCall(),
  channelState: () => grpc.connectivityState = () => grpc.connectivityState.READY,
) {
  const calls: FakeCall[] = [];
  const client = {
    watch: () => {
      const call = startCall();
      calls.push(call);
      return call;
    },
    getChannel: () => ({ getConnectivityState: channelState }),
  } as unknown as GeneratedHealthClient;
  const events: HealthWatchEvent[] = [];
  const loop = new HealthWatchLoop(client, 's', (event) => events.push(event), { backoff });
  const retries = () => events.flatMap((e) => (e.type === 'failure' ? [e.retryInMs] : []));
  /** Ends the newest attempt bare and checks the next one opens after exactly the reported delay. */
  const failBare = (): number => {
    const before = calls.length;
    calls.at(-1)!.end();
    const delay = retries().at(-1)!;
    if (delay > 0) {
      mock.timers.tick(delay - 1);
      assert.equal(calls.length, before, `no attempt 1 ms before the ${delay} ms delay`);
      mock.timers.tick(1);
    }
    assert.equal(calls.length, before + 1, `an attempt after ${delay} ms`);
    return delay;
  };
  return { loop, calls, events, retries, failBare };
}

const nextTick = () => new Promise<void>((resolve) => process.nextTick(resolve));

describe('HealthWatchLoop: backoff (fake timers)', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.reset());

  it('waits 1 s, x1.6, up to 120 s with the defaults (jitter at its midpoint)', () => {
    mock.method(Math, 'random', () => 0.5);
    const { loop, failBare } = fakeLoop();
    loop.start();
    const delays = Array.from({ length: 14 }, failBare);
    loop.stop();
    assert.deepEqual(delays, [1000, 1600, 2560, 4096, 6554, 10486, 16777, 26844, 42950, 68719, 109951, 120000, 120000, 120000]);
  });

  it('spreads each delay by ±20 % by default, the cap included', () => {
    for (const [random, factor] of [
      [0, 0.8],
      [0.75, 1.1],
      [1 - 1e-12, 1.2],
    ] as const) {
      mock.method(Math, 'random', () => random);
      const { loop, failBare } = fakeLoop();
      loop.start();
      const delays = Array.from({ length: 13 }, failBare);
      loop.stop();
      assert.deepEqual(
        [delays[0], delays[1], delays[2], delays[12]],
        [1000, 1600, 2560, 120000].map((ms) => Math.round(ms * factor)),
        `Math.random() = ${random}`,
      );
    }
  });

  it('multiplies by 1.6 when no multiplier is given', () => {
    const { loop, failBare } = fakeLoop({ initialMs: 100, jitter: 0 });
    loop.start();
    const delays = Array.from({ length: 3 }, failBare);
    loop.stop();
    assert.deepEqual(delays, [100, 160, 256]);
  });

  it('starts again from the initial delay after an attempt that got a message', async () => {
    const { loop, calls, events, failBare } = fakeLoop({ initialMs: 100, multiplier: 2, jitter: 0 });
    loop.start();
    assert.equal(failBare(), 100); // bare
    assert.equal(failBare(), 200); // bare
    calls.at(-1)!.message(); // message, then failure: retried at once
    calls.at(-1)!.end(grpc.status.INTERNAL);
    await nextTick();
    assert.equal(calls.length, 4);
    assert.equal(failBare(), 100); // bare: the initial delay again
    loop.stop();
    assert.deepEqual(
      events.map((e) => (e.type === 'failure' ? e.retryInMs : e.type)),
      [100, 200, 'status', 0, 100],
    );
  });

  it('counts a call that ends without a status as a failure, retried after the backoff', async () => {
    const { loop, calls, events } = fakeLoop({ initialMs: 100, multiplier: 2, jitter: 0 });
    loop.start();
    calls[0]!.drop();
    assert.deepEqual(
      events.map((e) => (e.type === 'failure' ? `${e.error.code} ${e.retryInMs}` : e.type)),
      [`${grpc.status.INTERNAL} 100`],
    );
    assert.match(events[0]!.type === 'failure' ? events[0]!.error.details : '', /ended without a status/);
    mock.timers.tick(100);
    assert.equal(calls.length, 2, 'retried after the backoff');
    // An 'error' with no 'status' after it: a failure with the error's code, once.
    calls[1]!.emit('error', Object.assign(new Error('x'), { code: grpc.status.UNAVAILABLE, details: 'gone' }));
    calls[1]!.drop();
    await nextTick();
    assert.deepEqual(
      events.map((e) => (e.type === 'failure' ? `${e.error.code} ${e.retryInMs}` : e.type)),
      [`${grpc.status.INTERNAL} 100`, `${grpc.status.INTERNAL} 200`],
    );
    mock.timers.tick(200);
    assert.equal(calls.length, 3);
    calls[2]!.emit('error', Object.assign(new Error('x'), { code: grpc.status.UNAVAILABLE, details: 'gone' }));
    await nextTick();
    assert.equal(events.length, 3);
    assert.equal(events[2]!.type === 'failure' && events[2]!.error.code, grpc.status.UNAVAILABLE);
    // A call that ends properly is not counted twice by its later 'end' and 'close'.
    mock.timers.tick(400);
    calls[3]!.end(grpc.status.UNAVAILABLE);
    calls[3]!.drop();
    await nextTick();
    assert.equal(events.length, 4);
    loop.stop();
  });

  it('a call that throws instead of starting is a failure retried with backoff; a closed client ends the loop', () => {
    let closed = false;
    const { loop, calls, events } = fakeLoop(
      { initialMs: 100, jitter: 0 },
      () => {
        throw new Error(closed ? 'Channel has been shut down' : 'boom');
      },
      () => (closed ? grpc.connectivityState.SHUTDOWN : grpc.connectivityState.READY),
    );
    loop.start();
    assert.equal(calls.length, 0);
    assert.deepEqual(
      events.map((e) => (e.type === 'failure' ? `${e.error.code} ${e.retryInMs} ${e.error.details}` : e.type)),
      [`${grpc.status.INTERNAL} 100 the call could not start: boom`],
    );
    closed = true;
    mock.timers.tick(100);
    assert.equal(events.length, 2);
    const last = events[1]!;
    assert.equal(last.type, 'closed');
    assert.equal(last.type === 'closed' && last.error.code, grpc.status.CANCELLED);
    assert.equal(loop.running, false);
    mock.timers.tick(100_000);
    assert.equal(events.length, 2, 'no retry after closed');
  });

  it('setBackoff() changes the next delay and keeps the attempt count', () => {
    const { loop, failBare } = fakeLoop({ initialMs: 100, multiplier: 2, jitter: 0 });
    loop.start();
    assert.equal(failBare(), 100);
    assert.equal(failBare(), 200);
    loop.setBackoff({ initialMs: 10, multiplier: 3, jitter: 0 });
    assert.equal(failBare(), 90, 'third attempt: 10 x 3^2');
    assert.throws(() => loop.setBackoff({ initialMs: 0 }), HealthArgumentError);
    assert.equal(failBare(), 270, 'a refused setting leaves the last good one');
    loop.stop();
  });

  it('refuses an unknown option or backoff key when made (a typo is not ignored)', () => {
    const client = {} as GeneratedHealthClient;
    assert.throws(() => new HealthWatchLoop(client, '', () => {}, { backof: {} } as never), /unknown option "backof"/);
    assert.throws(() => new HealthWatchLoop(client, '', () => {}, { backoff: { maxMS: 5 } as never }), HealthArgumentError);
  });

  it('stop() drops a pending retry', () => {
    const { loop, calls } = fakeLoop({ initialMs: 100 });
    loop.start();
    calls[0]!.end();
    loop.stop();
    mock.timers.tick(10_000);
    assert.equal(calls.length, 1);
    assert.equal(loop.running, false);
  });

  it('carries on when its listener throws, and logs it', () => {
    const logged: string[] = [];
    grpc.setLogger({ error: (...args: unknown[]) => logged.push(args.join(' ')), info: () => {}, debug: () => {} } as unknown as Console);
    try {
      const calls: FakeCall[] = [];
      const client = {
        watch: () => calls[calls.push(new FakeCall()) - 1],
      } as unknown as GeneratedHealthClient;
      const loop = new HealthWatchLoop(
        client,
        's',
        () => {
          throw new Error('listener bug');
        },
        { backoff: { initialMs: 10, jitter: 0 } },
      );
      loop.start();
      calls[0]!.end(); // the failure event throws in the listener...
      mock.timers.tick(10);
      assert.equal(calls.length, 2); // ...and the retry still comes
      calls[1]!.message();
      loop.stop();
      assert.equal(logged.filter((line) => /the event listener threw: listener bug/.test(line)).length, 2);
    } finally {
      grpc.setLogger(console);
    }
  });

  it('carries on when its listener throws something that cannot be shown (no toString)', () => {
    const logged: string[] = [];
    grpc.setLogger({ error: (...args: unknown[]) => logged.push(args.join(' ')), info: () => {}, debug: () => {} } as unknown as Console);
    try {
      const calls: FakeCall[] = [];
      const client = { watch: () => calls[calls.push(new FakeCall()) - 1] } as unknown as GeneratedHealthClient;
      const loop = new HealthWatchLoop(
        client,
        's',
        () => {
          throw Object.create(null);
        },
        { backoff: { initialMs: 10, jitter: 0 } },
      );
      loop.start();
      calls[0]!.end();
      mock.timers.tick(10);
      assert.equal(calls.length, 2);
      loop.stop();
      assert.ok(
        logged.some((line) => line.includes('the event listener threw: an error that cannot be shown')),
        logged.join('\n'),
      );
    } finally {
      grpc.setLogger(console);
    }
  });

  it('refuses zero, negative, NaN and Infinity settings with HealthArgumentError', () => {
    const bad: BackoffOptions[] = [
      { initialMs: 0 },
      { initialMs: -1 },
      { initialMs: Number.NaN },
      { initialMs: Number.POSITIVE_INFINITY },
      { multiplier: 0 },
      { multiplier: 0.5 },
      { multiplier: Number.NaN },
      { multiplier: Number.POSITIVE_INFINITY },
      { jitter: -0.1 },
      { jitter: 1.5 },
      { jitter: Number.NaN },
      { maxMs: 0 },
      { maxMs: -5 },
      { maxMs: Number.POSITIVE_INFINITY },
      { maxMs: 2 ** 31 },
      { initialMs: '10' as unknown as number },
    ];
    for (const backoff of bad) {
      assert.throws(() => fakeLoop(backoff), HealthArgumentError, JSON.stringify(backoff));
    }
    assert.throws(() => fakeLoop(null as unknown as BackoffOptions), /backoff must be an object/);
    assert.throws(() => fakeLoop({ initialMs: 0 }), /backoff\.initialMs must be .*got 0/);
    fakeLoop({ jitter: 0, multiplier: 1 }); // no spread and a constant delay are fine
  });
});

describe('HealthWatchLoop: the client rules', () => {
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

  it('ends with a closed event when its client is closed, instead of crashing the process from a timer', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.prependListener('uncaughtException', onUncaught);
    const h = await startHealth();
    try {
      const seen: string[] = [];
      let closedEvent: HealthWatchEvent | undefined;
      const read = (async () => {
        for await (const event of h.client.watchHealth('', { backoff: { initialMs: 20, jitter: 0 } })) {
          seen.push(event.type);
          if (event.type === 'status') {
            h.client.close(); // the usual shutdown order: the client first...
            h.server.forceShutdown(); // ...then the stream ends, and the loop tries again
          }
          if (event.type === 'closed') closedEvent = event;
        }
      })();
      await within(read, 10_000, 'watchHealth to end');
      assert.deepEqual(uncaught, []);
      assert.deepEqual(seen.slice(0, 1), ['status']);
      assert.equal(seen.at(-1), 'closed');
      assert.ok(closedEvent?.type === 'closed' && closedEvent.error.code === grpc.status.CANCELLED);
    } finally {
      process.off('uncaughtException', onUncaught);
      h.close();
    }
  });

  it('ends after unimplemented', async () => {
    const running = await startServer(() => {});
    const client = new HealthClient(running.address, insecure());
    try {
      const seen: string[] = [];
      const drained = (async () => {
        for await (const event of client.watchHealth('x')) seen.push(event.type);
      })();
      await within(drained, 5000, 'the iteration to end');
      assert.deepEqual(seen, ['unimplemented']);
    } finally {
      client.close();
      running.stop();
    }
  });
});
