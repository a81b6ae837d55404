/** Go-style flag parsing and usage text (src/cli/flags.ts): fast unit tests. Durations: duration.test.ts. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FlagError, type FlagSpec, goQuote, goUsage, HelpRequested, parseFlags, UsageError } from '../../src/cli/flags.js';

const SPECS = {
  name: { kind: 'string', help: 'a name', defaultValue: 'x' },
  on: { kind: 'bool', help: 'a switch' },
  wait: { kind: 'duration', help: 'a wait', defaultValue: 1_500_000_000n },
  tag: { kind: 'list', help: 'a tag', check: (text) => (text.startsWith('bad') ? 'not this one' : undefined) },
} as const satisfies Record<string, FlagSpec>;

function flagError(args: string[], message: string): void {
  assert.throws(
    () => parseFlags(args, SPECS),
    (error: unknown) => {
      assert.ok(error instanceof FlagError, String(error));
      assert.equal(error.name, 'FlagError');
      assert.equal(error.message, message);
      return true;
    },
  );
}

describe('Go flags', { timeout: 5000 }, () => {
  it('reads -flag value, -flag=value, --flag and --flag=value', () => {
    const { values, rest } = parseFlags(['-name', 'a', '--wait=2s', '--on', '-tag=x', '--tag', 'y', 'rest', '-name', 'b'], SPECS);
    assert.deepEqual(values, { name: 'a', wait: 2_000_000_000n, on: true, tag: ['x', 'y'] });
    assert.deepEqual(rest, ['rest', '-name', 'b']);
  });

  it('gives lists [] and leaves other flags unset', () => {
    assert.deepEqual(parseFlags([], SPECS), { values: { tag: [] }, rest: [] });
  });

  it('reads booleans as Go does', () => {
    for (const text of ['1', 't', 'T', 'true', 'TRUE', 'True']) assert.equal(parseFlags([`-on=${text}`], SPECS).values.on, true, text);
    for (const text of ['0', 'f', 'F', 'false', 'FALSE', 'False']) assert.equal(parseFlags([`-on=${text}`], SPECS).values.on, false, text);
    // A bare boolean takes no argument: what follows is the rest.
    assert.deepEqual(parseFlags(['-on', 'false'], SPECS), { values: { on: true, tag: [] }, rest: ['false'] });
    flagError(['-on=yes'], 'invalid boolean value "yes" for -on: parse error');
    flagError(['-on='], 'invalid boolean value "" for -on: parse error');
  });

  it('stops at --, at a lone -, and at the first argument', () => {
    assert.deepEqual(parseFlags(['-on', '--', '-name', 'x'], SPECS).rest, ['-name', 'x']);
    assert.deepEqual(parseFlags(['-on', '-', '-name', 'x'], SPECS).rest, ['-', '-name', 'x']);
    assert.deepEqual(parseFlags(['x', '-on'], SPECS), { values: { tag: [] }, rest: ['x', '-on'] });
    assert.deepEqual(parseFlags(['--'], SPECS).rest, []);
  });

  it("says what is wrong in Go's words", () => {
    flagError(['-bogus'], 'flag provided but not defined: -bogus');
    flagError(['--bogus=1'], 'flag provided but not defined: -bogus');
    flagError(['---on'], 'bad flag syntax: ---on');
    flagError(['-=x'], 'bad flag syntax: -=x');
    flagError(['--=x'], 'bad flag syntax: --=x');
    flagError(['-name'], 'flag needs an argument: -name');
    flagError(['-wait'], 'flag needs an argument: -wait');
    flagError(['-wait', 'soon'], 'invalid value "soon" for flag -wait: parse error');
    flagError(['-tag', 'bad"one'], 'invalid value "bad\\"one" for flag -tag: not this one');
    // Inherited names are not flags.
    flagError(['-toString'], 'flag provided but not defined: -toString');
  });

  it('asks for help on -h, -help and --help unless those are flags', () => {
    for (const arg of ['-h', '-help', '--help', '-h=1']) assert.throws(() => parseFlags([arg], SPECS), HelpRequested, arg);
    assert.equal(new HelpRequested().name, 'HelpRequested');
    assert.deepEqual(parseFlags(['-h', 'x'], { h: { kind: 'string', help: 'host' } }).values, { h: 'x' });
  });

  it('takes an argument that looks like a flag as the value', () => {
    assert.equal(parseFlags(['-name', '-on'], SPECS).values.name, '-on');
    assert.equal(parseFlags(['-name=a=b'], SPECS).values.name, 'a=b');
    assert.equal(parseFlags(['-name='], SPECS).values.name, '');
  });

  it('has a usage error apart from the parse errors', () => {
    const error = new UsageError('-addr not specified');
    assert.ok(error instanceof Error && !(error instanceof FlagError));
    assert.equal(error.name, 'UsageError');
  });

  it("quotes as Go's %q does for printable text", () => {
    assert.equal(goQuote('a "b"\\'), '"a \\"b\\"\\\\"');
  });

  it("prints usage in Go's PrintDefaults layout: sorted, short names on one line", () => {
    assert.equal(
      goUsage({ ...SPECS, v: { kind: 'bool', help: 'verbose' }, n: { kind: 'string', help: 'n' } }),
      [
        '  -n string',
        '    \tn',
        '  -name string',
        '    \ta name (default "x")',
        '  -on',
        '    \ta switch',
        '  -tag value',
        '    \ta tag',
        '  -v\tverbose',
        '  -wait duration',
        '    \ta wait (default 1.5s)',
      ].join('\n'),
    );
  });
});
