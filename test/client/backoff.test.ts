/** Backoff settings (src/client/backoff.ts): their limits and messages, fast unit tests. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkBackoff } from '../../src/client/backoff.js';

const MAX_TIMER_MS = 2 ** 31 - 1;

describe('backoff settings', { timeout: 5000 }, () => {
  it('accepts the edges of each range', () => {
    const edges = { initialMs: MAX_TIMER_MS, multiplier: 1, jitter: 1, maxMs: MAX_TIMER_MS };
    assert.deepEqual(checkBackoff(edges), edges);
    assert.deepEqual(checkBackoff({ jitter: 0 }), { jitter: 0 });
  });

  it('refuses values past them, in words naming the field', () => {
    const must = `a number of ms above 0, at most ${MAX_TIMER_MS}`;
    for (const [raw, message] of [
      [{ initialMs: MAX_TIMER_MS + 1 }, `backoff.initialMs must be ${must}, got ${MAX_TIMER_MS + 1}`],
      [{ maxMs: MAX_TIMER_MS + 1 }, `backoff.maxMs must be ${must}, got ${MAX_TIMER_MS + 1}`],
      [{ multiplier: 0.5 }, 'backoff.multiplier must be a finite number, at least 1, got 0.5'],
      [{ jitter: 1.01 }, 'backoff.jitter must be a fraction from 0 to 1, got 1.01'],
      [null, 'backoff must be an object'],
    ] as const) {
      assert.throws(() => checkBackoff(raw), { name: 'HealthArgumentError', message }, JSON.stringify(raw));
    }
  });

  it('refuses an unknown key given in code, naming the one meant; unknown fields of a service config are ignored', () => {
    assert.throws(() => checkBackoff({ initalMs: 5 }), {
      name: 'HealthArgumentError',
      message: /^backoff: unknown option "initalMs" \(did you mean "initialMs"\?\)/,
    });
    assert.deepEqual(checkBackoff({ initalMs: 5, maxMs: 9 }, 'health_check: backoff', 'ignore'), { maxMs: 9 });
  });
});
