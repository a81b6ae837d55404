/** A dependency check's options: defaults and validation (src/checks/check-options.ts), fast unit tests. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkName, MAX_CHECK_NAME_LENGTH, resolveCheckOptions } from '../../src/checks/check-options.js';
import { HealthArgumentError } from '../../src/errors.js';

const MAX_TIMER_MS = 2 ** 31 - 1;

function refused(options: unknown, message: string): void {
  assert.throws(() => resolveCheckOptions('check "c"', options), { name: 'HealthArgumentError', message }, JSON.stringify(options));
}

describe('check options', { timeout: 5000 }, () => {
  it('checks names: 1 to 1024 characters', () => {
    assert.equal(checkName('a'.repeat(MAX_CHECK_NAME_LENGTH)), 'a'.repeat(1024));
    for (const name of ['', 'a'.repeat(1025), 5]) {
      assert.throws(() => checkName(name), {
        name: 'HealthArgumentError',
        message: 'a check name must be a string of 1 to 1024 characters',
      });
    }
  });

  it('defaults, then the given defaults, then the options', () => {
    const builtIn = { services: [], intervalMs: 5000, timeoutMs: 1000, jitter: 0.1, failureThreshold: 3, successThreshold: 1 };
    assert.deepEqual(resolveCheckOptions('c', undefined), builtIn);
    assert.deepEqual(resolveCheckOptions('c', {}, { intervalMs: 10, failureThreshold: 2 }), {
      ...builtIn,
      intervalMs: 10,
      failureThreshold: 2,
    });
    assert.deepEqual(resolveCheckOptions('c', { intervalMs: 20 }, { intervalMs: 10 }).intervalMs, 20);
    assert.equal(resolveCheckOptions('c', { timeoutMs: MAX_TIMER_MS }).timeoutMs, MAX_TIMER_MS);
    assert.equal(resolveCheckOptions('c', { jitter: 0 }).jitter, 0);
  });

  it('keeps each service once and drops ""', () => {
    assert.deepEqual(resolveCheckOptions('c', { services: ['a', '', 'b', 'a'] }).services, ['a', 'b']);
  });

  it('refuses bad values, naming the option and the check', () => {
    for (const options of [null, 'x', [1]]) refused(options, 'check "c": options must be an object');
    for (const intervalMs of [0, -1, MAX_TIMER_MS + 1, Number.NaN, '5']) {
      refused(
        { intervalMs },
        `check "c": intervalMs must be a number of milliseconds in (0, ${MAX_TIMER_MS}], got ${typeof intervalMs === 'string' ? '"5"' : String(intervalMs)}`,
      );
    }
    refused({ timeoutMs: 0 }, `check "c": timeoutMs must be a number of milliseconds in (0, ${MAX_TIMER_MS}], got 0`);
    for (const [value, shown] of [
      [0, '0'],
      [1.5, '1.5'],
      ['3', '"3"'],
      [2 ** 53, String(2 ** 53)],
    ] as const) {
      refused({ successThreshold: value }, `check "c": successThreshold must be a positive integer, got ${shown}`);
    }
    for (const jitter of [1, -0.1, '0.1']) assert.throws(() => resolveCheckOptions('c', { jitter }), HealthArgumentError);
    refused({ services: 'a' }, 'check "c": services must be an array of service names (wrap one name in [ ])');
    refused({ services: [1] }, 'check "c": services must be an array of service names');
  });
});
