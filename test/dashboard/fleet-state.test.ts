import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FleetState, TIMELINE_LENGTH } from '../../src/dashboard/fleet-state.js';

describe('FleetState', { timeout: 5000 }, () => {
  it('starts cells CONNECTING, records changes with since and a bounded timeline, counts per status', () => {
    let now = 1000;
    const state = new FleetState(['', 'a'], () => now);
    state.addBackend('127.0.0.2:1', 'dns:///x:1');
    assert.equal(state.counts().CONNECTING, 2);
    now = 2000;
    state.setStatus('127.0.0.2:1', 'a', 'SERVING');
    const cell = state.backend('127.0.0.2:1')!.cells.a!;
    assert.deepEqual(cell, { status: 'SERVING', since: 2000, transitions: 1, watchFailures: 0 });
    assert.deepEqual(state.backend('127.0.0.2:1')!.timeline, [{ at: 2000, service: 'a', from: 'CONNECTING', to: 'SERVING' }]);
    assert.equal(state.counts().SERVING, 1);
    assert.equal(state.counts().CONNECTING, 1);
    for (let i = 0; i < TIMELINE_LENGTH + 5; i += 1) state.setStatus('127.0.0.2:1', 'a', i % 2 ? 'SERVING' : 'NOT_SERVING');
    assert.equal(state.backend('127.0.0.2:1')!.timeline.length, TIMELINE_LENGTH);
    state.removeBackend('127.0.0.2:1');
    assert.deepEqual(
      Object.values(state.counts()).reduce((a, b) => a + b, 0),
      0,
    );
  });

  it('announces only real changes; a throwing listener is reported and the others still run', () => {
    const state = new FleetState([''], Date.now, (error) => reported.push(error));
    const reported: unknown[] = [];
    const seen: string[] = [];
    state.onBackendChange(() => {
      throw new Error('listener bug');
    });
    state.onBackendChange((backend, address) => seen.push(`${address}:${backend?.cells['']?.status ?? 'removed'}`));
    state.addBackend('b:1', 'b:1');
    state.setStatus('b:1', '', 'SERVING');
    state.setStatus('b:1', '', 'SERVING'); // no change, no event
    state.setRtt('b:1', '', 1.5);
    state.setRtt('b:1', '', 1.5); // no change, no event
    state.removeBackend('b:1');
    state.setStatus('b:1', '', 'NOT_SERVING'); // unknown backend: ignored
    assert.deepEqual(seen, ['b:1:CONNECTING', 'b:1:SERVING', 'b:1:SERVING', 'b:1:removed']);
    assert.equal(reported.length, 4);
  });

  it('counts every failed Watch attempt of a cell, silently, apart from its status changes', () => {
    const state = new FleetState(['', 'a']);
    state.addBackend('b:1', 'b:1');
    const events: string[] = [];
    state.onBackendChange((_backend, address, change) => events.push(`${address}:${change}`));
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      state.countWatchFailure('b:1', 'a');
      state.setStatus('b:1', 'a', 'UNREACHABLE', 'connection refused');
    }
    state.countWatchFailure('b:2', 'a'); // unknown backend: ignored
    const cells = state.backend('b:1')!.cells;
    assert.equal(cells.a!.watchFailures, 3);
    assert.equal(cells.a!.transitions, 1, 'one streak, one change');
    assert.equal(cells['']!.watchFailures, 0);
    assert.deepEqual(events, ['b:1:status'], 'only the status change is announced');
  });

  it('keeps service names such as __proto__ as ordinary keys', () => {
    const state = new FleetState(['__proto__']);
    state.addBackend('b:1', 'b:1');
    state.setStatus('b:1', '__proto__', 'NOT_SERVING');
    assert.equal(state.backend('b:1')!.cells['__proto__']!.status, 'NOT_SERVING');
    assert.equal(JSON.parse(JSON.stringify(state.snapshot())).backends[0].cells.__proto__.status, 'NOT_SERVING');
  });
});
