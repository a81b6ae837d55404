/**
 * A Watch that reaches the server after endWatches() (its headers came before the
 * stop, its request message after: a slow link) ends at once, on every transport,
 * so it cannot hold a graceful stop open; resume() lets watches in again.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createServer } from 'nice-grpc';
import { HealthDefinition, niceHealth, stoppableNiceServer } from '../../src/adapters/nice-grpc/index.js';
import { gracefulShutdown, GrpcCode, HealthRequestError, HealthServer, type StoppableServer } from '../../src/index.js';
import { next, startHealth, until, within } from '../helpers.js';
import { slowWatch } from './slow-watch.js';

// Far past the bounds below: a stop that is still forced by it failed the test long before.
const TIMEOUT_MS = 60_000;

/**
 * Starts a Watch on `address` whose request arrives only after `gracefulShutdown`
 * has drained (tryShutdown + endWatches), then asserts the stop stays graceful and
 * the late Watch ends UNAVAILABLE.
 */
async function gracefulStopWithLateWatch(server: StoppableServer, health: HealthServer, address: string): Promise<void> {
  const late = await slowWatch(address, '');
  const lines: string[] = [];
  const control = gracefulShutdown(server, health, {
    signals: [],
    drainMs: 0,
    timeoutMs: TIMEOUT_MS,
    exit: false,
    log: (line) => lines.push(line),
  });
  try {
    const stopping = control.shutdown();
    // tryShutdown and endWatches run in the same turn as this line.
    await until(() => lines.some((line) => line.startsWith('drained')), 5000, 'the drain to end');
    late.send();
    assert.equal(await within(stopping, 10_000, 'the graceful stop'), true, lines.join('\n'));
    assert.equal(await within(late.status, 5000, "the late Watch's status"), GrpcCode.UNAVAILABLE);
  } finally {
    control.dispose();
    late.close();
  }
}

describe('a Watch arriving after endWatches()', () => {
  it('grpc-js: ends at once with the endWatches status, and tryShutdown completes', async () => {
    const h = await startHealth();
    const late = await slowWatch(h.address, '');
    try {
      const stopped = new Promise<void>((resolve) => h.server.tryShutdown(() => resolve()));
      h.health.shutdown();
      assert.equal(h.health.endWatches(), 0);
      late.send();
      assert.equal(await within(late.status, 10_000, "the late Watch's status"), GrpcCode.UNAVAILABLE);
      await within(stopped, 10_000, 'tryShutdown (a late Watch held it open)');
      assert.equal(h.health.watcherCount(), 0);
    } finally {
      late.close();
      h.close();
    }
  });

  it('gracefulShutdown: the stop stays graceful (no forced stop, no exit code 1)', async () => {
    const h = await startHealth();
    try {
      await gracefulStopWithLateWatch(h.server, h.health, h.address);
    } finally {
      h.close();
    }
  });

  it('nice-grpc: ends at once, and server.shutdown() completes', async () => {
    const health = new HealthServer();
    const server = createServer();
    server.add(HealthDefinition, niceHealth(health));
    const port = await server.listen('127.0.0.1:0');
    try {
      await gracefulStopWithLateWatch(stoppableNiceServer(server), health, `127.0.0.1:${port}`);
    } finally {
      server.forceShutdown();
    }
  });

  it('watch() (Connect, nice-grpc): ends at once with the code given, OK completes; resume() opens watches again', async () => {
    const health = new HealthServer();
    health.shutdown();
    health.endWatches();
    const late = health.watch('');
    await assert.rejects(
      within(late.next(), 2000, 'the late watch'),
      (error: unknown) => error instanceof HealthRequestError && error.code === GrpcCode.UNAVAILABLE,
    );
    assert.equal((await late.next()).done, true);
    assert.equal(health.watcherCount(), 0);

    health.endWatches(GrpcCode.OK);
    assert.equal((await within(health.watch('').next(), 2000, 'the completed watch')).done, true);

    health.resume();
    const again = health.watch('');
    assert.equal(await next(again), 'SERVING');
    assert.equal(health.watcherCount(), 1);
    await again.return?.();
  });

  it('grpc-js after resume(): a new Watch is served again', async () => {
    const h = await startHealth();
    try {
      h.health.shutdown();
      h.health.endWatches();
      await assert.rejects(next(h.client.watch('')), /UNAVAILABLE/);
      h.health.resume();
      const watch = h.client.watch('');
      assert.equal(await next(watch), 'SERVING');
      await watch.return?.();
    } finally {
      h.close();
    }
  });
});
