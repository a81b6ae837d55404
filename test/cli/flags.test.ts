/** Go-style flag parsing and durations (src/cli/flags.ts): fast unit tests. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flagHelp, type FlagSpec, formatDuration, parseDuration, parseFlags, UsageError } from '../../src/cli/flags.js';

const SPECS = {
  name: { kind: 'string', help: 'a name', defaultText: 'x' },
  on: { kind: 'bool', help: 'a switch' },
  wait: { kind: 'duration', help: 'a wait' },
  tag: { kind: 'list', help: 'a tag' },
} as const satisfies Record<string, FlagSpec>;

function usage(args: string[], message: string): void {
  assert.throws(() => parseFlags(args, SPECS), (error: unknown) => {
    assert.ok(error instanceof UsageError);
    assert.equal(error.name, 'UsageError');
    assert.equal(error.message, message);
    return true;
  });
}

describe('Go durations', { timeout: 5000 }, () => {
  it('parses every unit, fractions, sums and signs', () => {
    assert.equal(parseDuration('300ms'), 300);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration('2h'), 7_200_000);
    assert.equal(parseDuration('1m'), 60_000);
    assert.equal(parseDuration('1500us'), 1.5);
    assert.equal(parseDuration('1500µs'), 1.5);
    assert.equal(parseDuration('1500μs'), 1.5);
    assert.equal(parseDuration('2000000ns'), 2);
    assert.equal(parseDuration('.5s'), 500);
    assert.equal(parseDuration('.25s'), 250);
    assert.equal(parseDuration('1.25s.5ms'), 1250.5);
    assert.equal(parseDuration('1.s'), 1000);
    assert.equal(parseDuration('+1s'), 1000);
    assert.equal(parseDuration('-1s'), -1000);
    assert.equal(parseDuration('-1m30s'), -90_000);
    assert.equal(parseDuration('0'), 0);
    assert.equal(parseDuration('+0'), 0);
    assert.equal(parseDuration('-0'), 0);
  });

  it('refuses what Go refuses', () => {
    for (const text of ['', '1', 's', '1x', '1s ', ' 1s', '1 s', 'soon', '--1s', '1s-1s', '.s', '00']) {
      assert.equal(parseDuration(text), undefined, text);
    }
  });

  it('prints durations as Go roughly does', () => {
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(250), '250ms');
    assert.equal(formatDuration(0.5), '0.5ms');
    assert.equal(formatDuration(-1), '-1ms');
    assert.equal(formatDuration(999), '999ms');
    assert.equal(formatDuration(1000), '1s');
    assert.equal(formatDuration(-1000), '-1s');
    assert.equal(formatDuration(1500), '1.5s');
    assert.equal(formatDuration(60_000), '1m0s');
    assert.equal(formatDuration(90_500), '1m30.5s');
  });
});

describe('Go flags', { timeout: 5000 }, () => {
  it('reads -flag value, -flag=value, --flag and --flag=value', () => {
    const { values, rest } = parseFlags(['-name', 'a', '--wait=2s', '--on', '-tag=x', '--tag', 'y', 'rest', '-name', 'b'], SPECS);
    assert.deepEqual(values, { name: 'a', wait: 2000, on: true, tag: ['x', 'y'] });
    assert.deepEqual(rest, ['rest', '-name', 'b']);
  });

  it('gives lists [] and leaves other flags unset', () => {
    assert.deepEqual(parseFlags([], SPECS), { values: { tag: [] }, rest: [] });
  });

  it('reads booleans as Go does', () => {
    for (const text of ['1', 't', 'T', 'true', 'TRUE', 'True']) assert.equal(parseFlags([`-on=${text}`], SPECS).values.on, true, text);
    for (const text of ['0', 'f', 'F', 'false', 'FALSE', 'False']) assert.equal(parseFlags([`-on=${text}`], SPECS).values.on, false, text);
    // A bare boolean takes no argument: what follows is the rest.
    assert.deepEqual(parseFlags(['-on', 'false'], SPECS).rest, ['false']);
    usage(['-on=yes'], 'invalid boolean value "yes" for -on: parse error');
  });

  it('stops at --, at a lone -, and at the first argument', () => {
    assert.deepEqual(parseFlags(['-on', '--', '-name', 'x'], SPECS).rest, ['-name', 'x']);
    assert.deepEqual(parseFlags(['-on', '-', '-name', 'x'], SPECS).rest, ['-', '-name', 'x']);
    assert.deepEqual(parseFlags(['x', '-on'], SPECS), { values: { tag: [] }, rest: ['x', '-on'] });
  });

  it('says what is wrong in Go\'s words', () => {
    usage(['-bogus'], 'flag provided but not defined: -bogus');
    usage(['--'.concat('=x')], 'flag provided but not defined: -');
    usage(['-name'], 'flag needs an argument: -name');
    usage(['-wait'], 'flag needs an argument: -wait');
    usage(['-wait', 'soon'], 'invalid value "soon" for flag -wait: parse error');
  });

  it('takes an argument that looks like a flag as the value', () => {
    assert.equal(parseFlags(['-name', '-on'], SPECS).values.name, '-on');
    assert.equal(parseFlags(['-name=a=b'], SPECS).values.name, 'a=b');
  });

  it('lists flags for --help, aligned, with defaults and repeatable lists', () => {
    assert.equal(
      flagHelp(SPECS),
      [
        '  -name value     a name (default x)',
        '  -on             a switch',
        '  -wait duration  a wait',
        '  -tag value      a tag (repeatable)',
      ].join('\n'),
    );
  });
});
