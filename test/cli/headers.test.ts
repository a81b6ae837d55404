import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/cli/flags.js';
import { checkHeaderFlag, describeHeaders, parseHeaders } from '../../src/cli/headers.js';

describe('-rpc-header values', () => {
  it('keep the spaces inside a value, say exactly what is wrong, and print names sorted', () => {
    assert.deepEqual(parseHeaders(['k:v  w ']), [['k', 'v  w ']]);
    assert.throws(() => parseHeaders(['a b: v']), {
      message: 'cannot send RPC header "a b: v": a name may only have letters, digits, "_", "-" and "."',
    });
    assert.throws(() => parseHeaders(['k: é']), {
      message: 'cannot send RPC header "k: é": a value may only have printable ASCII characters (use a "-bin" name for bytes)',
    });
    assert.deepEqual(parseHeaders(['k-bin: é']), [['k-bin', Buffer.from('é', 'utf8')]]);
    assert.equal(describeHeaders(parseHeaders(['c: 1', 'a: 2', 'b: 3', 'a: 4'])), '{map[a:[2 4] b:[3] c:[1]]}');
  });

  it("are split as the probe splits them: at the first colon, name lower-cased, the value's leading spaces dropped", () => {
    assert.deepEqual(parseHeaders(['X-Token:  a: b', 'k:v']), [
      ['x-token', 'a: b'],
      ['k', 'v'],
    ]);
  });

  it("the flag check is the probe's: a colon is required", () => {
    assert.equal(checkHeaderFlag('foo'), `invalid RPC header, expected 'key: value', got "foo"`);
    assert.equal(checkHeaderFlag(':x'), undefined);
  });

  it('a "-bin" name carries the value as bytes (sent base64-encoded, as grpc-go does)', () => {
    const [[name, value]] = parseHeaders(['x-bin: abc']) as [[string, Buffer]];
    assert.equal(name, 'x-bin');
    assert.deepEqual(value, Buffer.from('abc'));
  });

  it('refuses, with one line, what gRPC metadata cannot carry', () => {
    for (const text of [':x', 'Bad Key: v', 'k: café', 'k: a\tb']) {
      assert.throws(
        () => parseHeaders([text]),
        (error: unknown) => error instanceof UsageError && !error.message.includes('\n'),
        text,
      );
    }
  });

  it("print as the probe's -v prints them", () => {
    assert.equal(describeHeaders(parseHeaders(['b: 2', 'a: 1', 'A: 3'])), '{map[a:[1 3] b:[2]]}');
  });
});
