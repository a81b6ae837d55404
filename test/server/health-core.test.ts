import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GrpcCode, type HealthChange, HealthArgumentError, HealthRequestError, HealthServer, type WatchStatus } from '../../src/index.js';
import { next, until, within } from '../helpers.js';

const T = { timeout: 10_000 };

function requestError(code: number): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof HealthRequestError, `not a HealthRequestError: ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  };
}

describe('HealthServer core: onChange', T, () => {
  it('reports every published change with the previous status, SERVICE_UNKNOWN for none', () => {
    const health = new HealthServer();
    const changes: HealthChange[] = [];
    health.onChange((change) => changes.push(change));
    health.setStatus('a.A', 'SERVING');
    health.setStatus('a.A', 'SERVING'); // no change, no event
    health.setStatus('a.A', 'NOT_SERVING');
    health.clearStatus('a.A');
    health.clearStatus('a.A'); // already gone
    assert.deepEqual(changes, [
      { service: 'a.A', status: 'SERVING', previous: 'SERVICE_UNKNOWN' },
      { service: 'a.A', status: 'NOT_SERVING', previous: 'SERVING' },
      { service: 'a.A', status: 'SERVICE_UNKNOWN', previous: 'NOT_SERVING' },
    ]);
    assert.ok(Object.isFrozen(changes[0]));
  });

  it('reports what shutdown and resume publish, not what shutdown holds back', () => {
    const health = new HealthServer({ statuses: { 'a.A': 'SERVING' } });
    const changes: HealthChange[] = [];
    health.onChange((change) => changes.push(change));
    health.shutdown();
    health.setStatus('a.A', 'UNKNOWN'); // held until resume
    assert.deepEqual(changes, [
      { service: '', status: 'NOT_SERVING', previous: 'SERVING' },
      { service: 'a.A', status: 'NOT_SERVING', previous: 'SERVING' },
    ]);
    changes.length = 0;
    health.resume();
    assert.deepEqual(changes, [
      { service: '', status: 'SERVING', previous: 'NOT_SERVING' },
      { service: 'a.A', status: 'UNKNOWN', previous: 'NOT_SERVING' },
    ]);
  });

  it('isolates a throwing listener: reported once as a warning, the others still see every change', async () => {
    const health = new HealthServer();
    const seen: string[] = [];
    const warnings: (Error & { code?: string })[] = [];
    const onWarning = (warning: Error & { code?: string }) => {
      if (warning.code === 'GRPC_HEALTH_KIT_LISTENER') warnings.push(warning);
    };
    process.on('warning', onWarning);
    try {
      health.onChange(() => {
        throw new Error('listener broke');
      });
      health.onChange((change) => seen.push(change.status));
      health.setStatus('', 'NOT_SERVING');
      health.setStatus('', 'SERVING');
      health.setStatus('', 'UNKNOWN');
      assert.deepEqual(seen, ['NOT_SERVING', 'SERVING', 'UNKNOWN']);
      assert.equal(health.getStatus(''), 'UNKNOWN');
      await until(() => warnings.length > 0, 2000, 'the warning');
      // Warnings are emitted on a later tick: give a second one the chance to show.
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(warnings.length, 1, 'one warning for a listener that threw three times');
      assert.match(warnings[0]!.message, /listener broke/);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('a listener throwing something that cannot be shown does not escape setStatus', () => {
    const health = new HealthServer();
    health.onChange(() => {
      throw Object.create(null);
    });
    health.setStatus('a', 'SERVING');
    assert.equal(health.getStatus('a'), 'SERVING');
  });

  it('a listener that sets a status: every listener sees the changes in the order they were published', () => {
    const health = new HealthServer({ statuses: { mirror: 'SERVING' } });
    const first: string[] = [];
    const second: string[] = [];
    // A listener that follows "" with "mirror": on "" NOT_SERVING, it sets mirror NOT_SERVING too.
    health.onChange((change) => {
      first.push(`${change.service}=${change.status}`);
      if (change.service === '') health.setStatus('mirror', change.status === 'SERVING' ? 'SERVING' : 'NOT_SERVING');
    });
    health.onChange((change) => second.push(`${change.service}:${change.previous}->${change.status}`));
    health.setStatus('', 'NOT_SERVING');
    const expected = ['=NOT_SERVING', 'mirror=NOT_SERVING'];
    assert.deepEqual(first, expected);
    assert.deepEqual(second, [':SERVING->NOT_SERVING', 'mirror:SERVING->NOT_SERVING']);

    // Two changes of one service: a mirror built from the events ends on the published status.
    const mirror = new Map<string, string>();
    health.onChange((change) => {
      if (change.service === 'x' && change.status === 'SERVING') health.setStatus('x', 'NOT_SERVING');
    });
    health.onChange((change) => mirror.set(change.service, change.status));
    health.setStatus('x', 'SERVING');
    assert.equal(health.getStatus('x'), 'NOT_SERVING');
    assert.equal(mirror.get('x'), 'NOT_SERVING');
  });

  it('stops calling a removed listener, and refuses a non-function', () => {
    const health = new HealthServer();
    let calls = 0;
    const off = health.onChange(() => (calls += 1));
    health.setStatus('x', 'SERVING');
    off();
    off();
    health.setStatus('x', 'NOT_SERVING');
    assert.equal(calls, 1);
    assert.throws(() => health.onChange(42 as never), HealthArgumentError);
  });

  it('lets a listener change statuses: each change is reported once, in order', () => {
    const health = new HealthServer();
    const seen: string[] = [];
    health.onChange((change) => {
      seen.push(`${change.service}=${change.status}`);
      if (change.service === 'a') health.setStatus('b', change.status === 'SERVING' ? 'SERVING' : 'NOT_SERVING');
    });
    health.setStatus('a', 'SERVING');
    assert.deepEqual(seen, ['a=SERVING', 'b=SERVING']);
  });

  it('listeners that set statuses in a cycle: setStatus returns, the cycle is cut and reported once', async () => {
    const health = new HealthServer();
    const warnings: Error[] = [];
    const onWarning = (warning: Error & { code?: string }) => {
      if (warning.code === 'GRPC_HEALTH_KIT_LISTENER') warnings.push(warning);
    };
    process.on('warning', onWarning);
    try {
      // Each change of "a" flips "b", and each change of "b" flips "a": without a bound, for ever.
      health.onChange(({ service }) => {
        const other = service === 'a' ? 'b' : 'a';
        health.setStatus(other, health.getStatus(other) === 'SERVING' ? 'NOT_SERVING' : 'SERVING');
      });
      let delivered = 0;
      health.onChange(() => (delivered += 1));
      health.setStatus('a', 'NOT_SERVING');
      assert.ok(delivered > 1000, `${delivered} changes delivered`);
      // Later changes are delivered as usual.
      const seen: string[] = [];
      health.onChange((change) => seen.push(change.service));
      health.clearStatus('a');
      assert.deepEqual(seen.slice(0, 2), ['a', 'b']);
      // (Warnings of the tests before may arrive here too.)
      await until(() => warnings.some((warning) => /statuses set in a cycle/.test(warning.message)), 5000, 'the warning');
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('HealthServer core: check and list', T, () => {
  it('check answers the status or throws NOT_FOUND', () => {
    const health = new HealthServer({ statuses: { 'a.A': 'NOT_SERVING' } });
    assert.equal(health.check(''), 'SERVING');
    assert.equal(health.check('a.A'), 'NOT_SERVING');
    assert.throws(() => health.check('b.B'), requestError(GrpcCode.NOT_FOUND));
  });

  it('list answers a snapshot, or RESOURCE_EXHAUSTED over the limit', () => {
    const health = new HealthServer({ maxListedServices: 2 });
    health.setStatus('a', 'UNKNOWN');
    const listed = health.list();
    assert.deepEqual(
      [...listed],
      [
        ['', 'SERVING'],
        ['a', 'UNKNOWN'],
      ],
    );
    listed.set('mutated', 'SERVING');
    assert.equal(health.getStatus('mutated'), undefined);
    health.setStatus('b', 'SERVING');
    assert.throws(() => health.list(), requestError(GrpcCode.RESOURCE_EXHAUSTED));
  });
});

describe('HealthServer core: watch()', T, () => {
  it('yields the current status first, then only changes', async () => {
    const health = new HealthServer({ statuses: { 'w.A': 'SERVING' } });
    const watch = health.watch('w.A');
    assert.equal(health.watcherCount('w.A'), 1);
    assert.equal(await next(watch), 'SERVING');
    health.setStatus('w.A', 'SERVING');
    health.setStatus('w.A', 'NOT_SERVING');
    assert.equal(await next(watch), 'NOT_SERVING');
    const pending = next(watch);
    health.setStatus('w.A', 'UNKNOWN');
    assert.equal(await pending, 'UNKNOWN');
    await watch.return?.();
    assert.equal(health.watcherCount(), 0);
  });

  it('yields SERVICE_UNKNOWN for an unknown name and follows it being set and cleared', async () => {
    const health = new HealthServer();
    const watch = health.watch('w.Later');
    assert.equal(await next(watch), 'SERVICE_UNKNOWN');
    assert.equal(health.unknownWatcherCount, 1);
    health.setStatus('w.Later', 'SERVING');
    assert.equal(health.unknownWatcherCount, 0);
    assert.equal(await next(watch), 'SERVING');
    health.clearStatus('w.Later');
    assert.equal(await next(watch), 'SERVICE_UNKNOWN');
    await watch.return?.();
    assert.equal(health.unknownWatcherCount, 0);
  });

  it('keeps only the newest status for a reader that does not read: latest wins, no duplicates', async () => {
    const health = new HealthServer({ statuses: { 'w.Slow': 'SERVING' } });
    const watch = health.watch('w.Slow');
    assert.equal(await next(watch), 'SERVING');
    for (let i = 0; i < 10_001; i++) health.setStatus('w.Slow', i % 2 === 0 ? 'NOT_SERVING' : 'SERVING');
    health.setStatus('w.Slow', 'UNKNOWN');
    assert.equal(await next(watch), 'UNKNOWN');
    // Flipping back to what the reader last got sends nothing.
    health.setStatus('w.Slow', 'SERVING');
    health.setStatus('w.Slow', 'UNKNOWN');
    health.setStatus('w.Slow', 'NOT_SERVING');
    assert.equal(await next(watch), 'NOT_SERVING');
    await watch.return?.();
  });

  it('ends on abort: a pending read completes and the watch leaves the registry', async () => {
    const health = new HealthServer();
    const controller = new AbortController();
    const watch = health.watch('', { signal: controller.signal });
    assert.equal(await next(watch), 'SERVING');
    const pending = watch.next();
    controller.abort();
    assert.deepEqual(await within(pending, 2000, 'the end'), { done: true, value: undefined });
    assert.equal(health.watcherCount(), 0);
    const aborted = health.watch('', { signal: controller.signal });
    assert.equal(health.watcherCount(), 0);
    assert.equal((await aborted.next()).done, true);
  });

  it('ends when the reader breaks out of for-await', async () => {
    const health = new HealthServer();
    const seen: WatchStatus[] = [];
    for await (const status of health.watch('')) {
      seen.push(status);
      break;
    }
    assert.deepEqual(seen, ['SERVING']);
    assert.equal(health.watcherCount(), 0);
  });

  it('endWatches fails it with the code given (UNAVAILABLE by default), or completes it with OK', async () => {
    const health = new HealthServer();
    const first = health.watch('');
    const second = health.watch('x');
    assert.equal(await next(first), 'SERVING');
    const pending = first.next();
    assert.equal(health.endWatches(), 2);
    await assert.rejects(pending, requestError(GrpcCode.UNAVAILABLE));
    assert.equal((await first.next()).done, true);
    // An unread status is still delivered before the end.
    assert.equal(await next(second), 'SERVICE_UNKNOWN');
    await assert.rejects(second.next(), requestError(GrpcCode.UNAVAILABLE));
    assert.equal(health.watcherCount(), 0);
    assert.equal(health.unknownWatcherCount, 0);

    // Watches opened after endWatches() end at once until resume().
    health.resume();
    const third = health.watch('');
    assert.equal(health.endWatches(GrpcCode.OK), 1);
    assert.equal(await next(third), 'SERVING');
    assert.equal((await third.next()).done, true);
  });

  it('refuses over-long names and too many unknown names with typed errors, counting nothing', () => {
    const health = new HealthServer({ maxUnknownWatchers: 1, maxServiceNameLength: 8 });
    assert.throws(() => health.watch('x'.repeat(9)), requestError(GrpcCode.INVALID_ARGUMENT));
    const one = health.watch('u1');
    assert.throws(() => health.watch('u2'), requestError(GrpcCode.RESOURCE_EXHAUSTED));
    assert.equal(health.watcherCount(), 1);
    assert.equal(health.unknownWatcherCount, 1);
    // A registered name is not capped.
    const known = health.watch('');
    assert.equal(health.watcherCount(), 2);
    void one.return?.();
    void known.return?.();
    assert.throws(() => health.watch(3 as never), HealthArgumentError);
  });

  it('shares the registry with grpc-js watchers: shutdown and resume reach both', async () => {
    const health = new HealthServer({ statuses: { 'w.S': 'SERVING' } });
    const watch = health.watch('w.S');
    assert.equal(await next(watch), 'SERVING');
    health.shutdown();
    assert.equal(await next(watch), 'NOT_SERVING');
    health.setStatus('w.S', 'UNKNOWN');
    health.resume();
    assert.equal(await next(watch), 'UNKNOWN');
    await watch.return?.();
  });
});
