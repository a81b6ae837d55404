/**
 * The per-watcher delivery slot, through the public API and a real grpc-js server:
 * what one Watch stream receives when statuses change faster than it is written.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { next, startHealth } from '../helpers.js';

describe('Watcher: the waiting slot', { timeout: 10_000 }, () => {
  it('sends no duplicate when a flip returns to the status in flight', async () => {
    const h = await startHealth();
    try {
      const watch = h.client.watch('');
      assert.equal(await next(watch), 'SERVING');
      // One tick: NOT_SERVING is written at once and is still in flight when
      // SERVING and then NOT_SERVING again take the waiting slot. Each is a real
      // change of the published status, so only the watcher can drop the last one.
      h.health.setStatus('', 'NOT_SERVING');
      h.health.setStatus('', 'SERVING');
      h.health.setStatus('', 'NOT_SERVING');
      assert.equal(await next(watch), 'NOT_SERVING');
      h.health.setStatus('', 'UNKNOWN');
      // A duplicate NOT_SERVING would arrive before this.
      assert.equal(await next(watch, 2000, 'the change after the flips'), 'UNKNOWN');
      await watch.return();
    } finally {
      h.close();
    }
  });

  it('sends the waiting status once the write in flight is taken', async () => {
    const h = await startHealth();
    try {
      const watch = h.client.watch('');
      assert.equal(await next(watch), 'SERVING');
      h.health.setStatus('', 'NOT_SERVING');
      h.health.setStatus('', 'UNKNOWN');
      assert.equal(await next(watch), 'NOT_SERVING');
      assert.equal(await next(watch, 2000, 'the status that waited'), 'UNKNOWN');
      await watch.return();
    } finally {
      h.close();
    }
  });
});
