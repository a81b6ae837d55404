import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { HealthArgumentError, HealthRpcError, HealthServer, type SettableStatus } from '../../src/index.js';
import { next, startHealth } from '../helpers.js';

type Started = Awaited<ReturnType<typeof startHealth>>;

async function rejectsWith(promise: Promise<unknown>, code: grpc.status, detail?: RegExp): Promise<HealthRpcError> {
  const error = await promise.then(
    () => assert.fail(`expected ${grpc.status[code]}`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof HealthRpcError, `not a HealthRpcError: ${String(error)}`);
  assert.equal(error.code, code, error.message);
  if (detail) assert.match(error.details, detail);
  return error;
}

describe('HealthServer: statuses and Check', () => {
  let h: Started;
  before(async () => {
    h = await startHealth();
  });
  after(() => h.close());

  it('starts with "" SERVING, as grpc-go does', async () => {
    assert.equal(h.health.getStatus(''), 'SERVING');
    assert.equal(await h.client.check(''), 'SERVING');
  });

  it('answers Check with the stored status of each service', async () => {
    h.health.setStatus('a.A', 'NOT_SERVING');
    h.health.setStatus('b.B', 'UNKNOWN');
    assert.equal(await h.client.check('a.A'), 'NOT_SERVING');
    assert.equal(await h.client.check('b.B'), 'UNKNOWN');
    h.health.setStatus('a.A', 'SERVING');
    assert.equal(await h.client.check('a.A'), 'SERVING');
  });

  it('answers NOT_FOUND naming the service for an unknown one', async () => {
    await rejectsWith(h.client.check('nobody.Here'), grpc.status.NOT_FOUND, /unknown service "nobody\.Here"/);
  });

  it('matches names exactly', async () => {
    h.health.setStatus('Case.Sensitive', 'SERVING');
    await rejectsWith(h.client.check('case.sensitive'), grpc.status.NOT_FOUND);
    await rejectsWith(h.client.check('Case.Sensitive '), grpc.status.NOT_FOUND);
  });

  it('forgets a cleared service: Check then answers NOT_FOUND', async () => {
    h.health.setStatus('gone.Soon', 'SERVING');
    h.health.clearStatus('gone.Soon');
    assert.equal(h.health.getStatus('gone.Soon'), undefined);
    await rejectsWith(h.client.check('gone.Soon'), grpc.status.NOT_FOUND);
  });

  it('refuses statuses that cannot be set, with a typed error', () => {
    assert.throws(() => h.health.setStatus('x', 'SERVICE_UNKNOWN' as never), HealthArgumentError);
    assert.throws(() => h.health.setStatus('x', 'serving' as never), HealthArgumentError);
    assert.throws(() => h.health.setStatus(7 as never, 'SERVING'), HealthArgumentError);
    assert.equal(h.health.getStatus('x'), undefined);
  });

  it('takes initial statuses and rejects bad options', () => {
    const health = new HealthServer({ statuses: { '': 'NOT_SERVING', 'a.A': 'SERVING' } });
    assert.equal(health.getStatus(''), 'NOT_SERVING');
    assert.equal(health.getStatus('a.A'), 'SERVING');
    assert.throws(() => new HealthServer({ maxListedServices: -1 }), HealthArgumentError);
    assert.throws(() => new HealthServer({ maxUnknownWatchers: 1.5 }), HealthArgumentError);
  });
});

describe('HealthServer: Watch', () => {
  let h: Started;
  before(async () => {
    h = await startHealth();
  });
  after(() => h.close());

  it('sends the current status at once and then each change', async () => {
    h.health.setStatus('w.Changes', 'SERVING');
    const watch = h.client.watch('w.Changes');
    assert.equal(await next(watch), 'SERVING');
    h.health.setStatus('w.Changes', 'NOT_SERVING');
    assert.equal(await next(watch), 'NOT_SERVING');
    h.health.setStatus('w.Changes', 'SERVING');
    assert.equal(await next(watch), 'SERVING');
    await watch.return();
  });

  it('answers SERVICE_UNKNOWN for an unknown service and keeps the stream open', async () => {
    const watch = h.client.watch('w.Later');
    assert.equal(await next(watch), 'SERVICE_UNKNOWN');
    h.health.setStatus('w.Later', 'SERVING');
    assert.equal(await next(watch), 'SERVING');
    h.health.clearStatus('w.Later');
    assert.equal(await next(watch), 'SERVICE_UNKNOWN');
    await watch.return();
  });

  it('never sends the same status twice in a row', async () => {
    h.health.setStatus('w.Same', 'SERVING');
    const watch = h.client.watch('w.Same');
    assert.equal(await next(watch), 'SERVING');
    for (let i = 0; i < 5; i++) h.health.setStatus('w.Same', 'SERVING');
    h.health.setStatus('w.Same', 'NOT_SERVING');
    // Had a duplicate SERVING been sent, it would arrive before NOT_SERVING.
    assert.equal(await next(watch), 'NOT_SERVING');
    await watch.return();
  });

  it('touches only the changed service: other watchers get nothing', async () => {
    h.health.setStatus('w.One', 'SERVING');
    h.health.setStatus('w.Two', 'SERVING');
    const one = h.client.watch('w.One');
    const two = h.client.watch('w.Two');
    assert.equal(await next(one), 'SERVING');
    assert.equal(await next(two), 'SERVING');
    h.health.setStatus('w.One', 'NOT_SERVING');
    h.health.setStatus('w.Two', 'UNKNOWN');
    assert.equal(await next(one), 'NOT_SERVING');
    // The first message after SERVING on w.Two is its own change, not w.One's.
    assert.equal(await next(two), 'UNKNOWN');
    await one.return();
    await two.return();
  });

  it('coalesces synchronous flips: the first goes out, then only the newest', async () => {
    h.health.setStatus('w.Rapid', 'SERVING');
    const watch = h.client.watch('w.Rapid');
    assert.equal(await next(watch), 'SERVING');
    const sequence: SettableStatus[] = ['NOT_SERVING', 'SERVING', 'UNKNOWN', 'NOT_SERVING', 'SERVING'];
    for (let round = 0; round < 200; round++) {
      for (const status of sequence) h.health.setStatus('w.Rapid', status);
    }
    h.health.setStatus('w.Rapid', 'UNKNOWN');
    // 1001 updates while one write is in flight: that write, then the newest.
    assert.equal(await next(watch), 'NOT_SERVING');
    assert.equal(await next(watch), 'UNKNOWN');
    // Nothing stale is queued behind it: the next message is the next change.
    h.health.setStatus('w.Rapid', 'SERVING');
    assert.equal(await next(watch), 'SERVING');
    await watch.return();
  });

  it('refuses an over-long name with INVALID_ARGUMENT and counts nothing', async () => {
    const watch = h.client.watch('x'.repeat(2000));
    await rejectsWith(next(watch), grpc.status.INVALID_ARGUMENT, /over the limit of 1024/);
    assert.equal(h.health.unknownWatcherCount, 0);
  });
});

describe('HealthServer: List', () => {
  it('lists every service with its status', async () => {
    const h = await startHealth({ statuses: { 'a.A': 'SERVING', 'b.B': 'NOT_SERVING' } });
    try {
      h.health.setStatus('c.C', 'UNKNOWN');
      const listed = await h.client.list();
      assert.deepEqual(Object.fromEntries(listed), { '': 'SERVING', 'a.A': 'SERVING', 'b.B': 'NOT_SERVING', 'c.C': 'UNKNOWN' });
    } finally {
      h.close();
    }
  });

  it('answers RESOURCE_EXHAUSTED above the default limit of 100 services', async () => {
    const h = await startHealth();
    try {
      for (let i = 1; i < 100; i++) h.health.setStatus(`svc.S${i}`, 'SERVING');
      assert.equal((await h.client.list()).size, 100);
      h.health.setStatus('svc.S100', 'SERVING');
      await rejectsWith(h.client.list(), grpc.status.RESOURCE_EXHAUSTED, /maximum capacity: 100/);
      h.health.clearStatus('svc.S100');
      assert.equal((await h.client.list()).size, 100);
    } finally {
      h.close();
    }
  });

  it('takes a configured limit', async () => {
    const h = await startHealth({ maxListedServices: 2 });
    try {
      h.health.setStatus('a.A', 'SERVING');
      assert.equal((await h.client.list()).size, 2);
      h.health.setStatus('b.B', 'SERVING');
      await rejectsWith(h.client.list(), grpc.status.RESOURCE_EXHAUSTED, /maximum capacity: 2/);
    } finally {
      h.close();
    }
  });
});

describe('HealthServer: shutdown and resume', () => {
  let h: Started;
  before(async () => {
    h = await startHealth({ statuses: { 'a.A': 'SERVING', 'b.B': 'NOT_SERVING' } });
  });
  after(() => h.close());

  it('makes every service NOT_SERVING, holds updates back, and publishes them on resume', async () => {
    const watchA = h.client.watch('a.A');
    assert.equal(await next(watchA), 'SERVING');

    h.health.shutdown();
    assert.equal(h.health.isShutdown, true);
    assert.equal(await next(watchA), 'NOT_SERVING');
    for (const service of ['', 'a.A', 'b.B']) assert.equal(await h.client.check(service), 'NOT_SERVING');

    // Updates during shutdown are remembered but not published.
    h.health.setStatus('a.A', 'UNKNOWN');
    h.health.setStatus('c.New', 'SERVING');
    h.health.clearStatus('b.B');
    assert.equal(await h.client.check('a.A'), 'NOT_SERVING');
    assert.equal(await h.client.check('c.New'), 'NOT_SERVING', 'a service named during shutdown is not serving');
    assert.equal(await h.client.check('b.B'), 'NOT_SERVING', 'a clear during shutdown waits for resume');

    h.health.resume();
    assert.equal(h.health.isShutdown, false);
    assert.equal(await next(watchA), 'UNKNOWN');
    assert.equal(await h.client.check(''), 'SERVING');
    assert.equal(await h.client.check('a.A'), 'UNKNOWN');
    assert.equal(await h.client.check('c.New'), 'SERVING');
    await rejectsWith(h.client.check('b.B'), grpc.status.NOT_FOUND);
    await watchA.return();
  });

  it('restores a service that was NOT_SERVING before shutdown to NOT_SERVING, not SERVING', async () => {
    h.health.setStatus('d.D', 'NOT_SERVING');
    h.health.shutdown();
    h.health.shutdown(); // twice is harmless
    h.health.resume();
    assert.equal(await h.client.check('d.D'), 'NOT_SERVING');
    h.health.resume(); // and so is resuming when not shut down
    assert.equal(await h.client.check(''), 'SERVING');
  });
});
