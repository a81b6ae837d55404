/** Status names and wire numbers (src/status.ts): fast unit tests. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isServingStatus, parseServingStatus, SERVING_STATUSES, statusFromWire, statusToWire } from '../src/status.js';

describe('status names and wire numbers', { timeout: 5000 }, () => {
  it('maps each name to its wire number and back', () => {
    assert.deepEqual(SERVING_STATUSES, ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN']);
    assert.ok(Object.isFrozen(SERVING_STATUSES));
    SERVING_STATUSES.forEach((name, wire) => {
      assert.equal(statusToWire(name), wire);
      assert.equal(statusFromWire(wire), name);
    });
  });

  it('reads a wire number it does not know as UNKNOWN', () => {
    for (const wire of [4, 42, -1, 1.5]) assert.equal(statusFromWire(wire), 'UNKNOWN');
  });

  it('knows the four names and nothing else', () => {
    for (const name of SERVING_STATUSES) assert.equal(isServingStatus(name), true);
    for (const value of ['serving', 'SERVING ', '', 1, undefined, null, ['SERVING']]) assert.equal(isServingStatus(value), false);
  });

  it('parses what people write: any case, - for _, surrounding blanks, wire numbers', () => {
    assert.equal(parseServingStatus('serving'), 'SERVING');
    assert.equal(parseServingStatus(' Not-Serving\n'), 'NOT_SERVING');
    assert.equal(parseServingStatus('service_unknown'), 'SERVICE_UNKNOWN');
    assert.equal(parseServingStatus('service-unknown'), 'SERVICE_UNKNOWN');
    assert.equal(parseServingStatus('0'), 'UNKNOWN');
    assert.equal(parseServingStatus(' 2 '), 'NOT_SERVING');
    assert.equal(parseServingStatus('3'), 'SERVICE_UNKNOWN');
    for (const text of ['4', '12', '1.0', 'x2', 'SERVINGX', 'SERV ING', '']) assert.equal(parseServingStatus(text), undefined, text);
  });
});
