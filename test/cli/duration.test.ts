import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { formatGoDuration, msToNs, nsToMs, parseGoDuration, setLongTimeout } from '../../src/cli/duration.js';

describe("Go durations (time.ParseDuration's grammar and range, Duration.String())", () => {
  it("prints sub-second durations in Go's units, with the fraction's zeros where they belong", () => {
    assert.equal(formatGoDuration(999n), '999ns');
    assert.equal(formatGoDuration(1_000n), '1µs');
    assert.equal(formatGoDuration(1_050_000n), '1.05ms');
    assert.equal(formatGoDuration(1_000_500n), '1.0005ms');
    assert.equal(formatGoDuration(-1_500n), '-1.5µs');
  });

  it('converts between nanoseconds and milliseconds', () => {
    assert.equal(nsToMs(1_500_000n), 1.5);
    assert.equal(msToNs(1.5), 1_500_000n);
  });

  it('parses what Go parses, in nanoseconds', () => {
    const cases: [string, bigint][] = [
      ['0', 0n],
      ['-0', 0n],
      ['1ns', 1n],
      ['1us', 1_000n],
      ['1µs', 1_000n],
      ['1μs', 1_000n],
      ['1.5ms', 1_500_000n],
      ['.5s', 500_000_000n],
      ['1.s', 1_000_000_000n],
      ['1m30s', 90_000_000_000n],
      ['-1h', -3_600_000_000_000n],
      ['+2h45m', 9_900_000_000_000n],
      ['2562047h', 2_562_047n * 3_600_000_000_000n],
      ['9223372036854775807ns', (1n << 63n) - 1n],
    ];
    for (const [text, ns] of cases) assert.equal(parseGoDuration(text), ns, text);
  });

  it('refuses what Go refuses: no unit, unknown unit, no digits, out of int64 range', () => {
    for (const text of ['', '1', '-', '.s', 's', '1sec', '1d', '1 s', 'soon', '2562048h', '9999999999h', '9223372036854775808ns', '1e3s']) {
      assert.equal(parseGoDuration(text), undefined, text);
    }
  });

  it("prints as Go's Duration.String()", () => {
    const cases: [bigint, string][] = [
      [0n, '0s'],
      [1n, '1ns'],
      [1_500n, '1.5µs'],
      [250_000_000n, '250ms'],
      [1_000_000_000n, '1s'],
      [1_500_000_000n, '1.5s'],
      [90_000_000_000n, '1m30s'],
      [3_600_000_000_000n, '1h0m0s'],
      [-1_000_000_000n, '-1s'],
      [1_234_567n, '1.234567ms'],
    ];
    for (const [ns, text] of cases) assert.equal(formatGoDuration(ns), text, text);
  });

  it("setLongTimeout waits past setTimeout's 24.8-day limit instead of firing at once", () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    try {
      let fired = false;
      setLongTimeout(() => (fired = true), 600 * 3_600_000);
      mock.timers.tick(2 ** 31);
      assert.equal(fired, false);
      mock.timers.tick(600 * 3_600_000 - 2 ** 31);
      assert.equal(fired, true);
    } finally {
      mock.timers.reset();
    }
  });

  it('setLongTimeout can be cancelled', () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    try {
      let fired = false;
      const cancel = setLongTimeout(() => (fired = true), 10);
      cancel();
      mock.timers.tick(20);
      assert.equal(fired, false);
    } finally {
      mock.timers.reset();
    }
  });
});
