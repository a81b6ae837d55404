import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HealthArgumentError } from '../../src/index.js';
import { inShard, parseShard, shardOf } from '../../src/dashboard/shard.js';

const ADDRESSES = Array.from({ length: 5000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:50051`);

describe('dashboard shards', { timeout: 10_000 }, () => {
  it('puts every address in exactly one shard, spread within ±15 % for 2 to 8 shards', () => {
    for (let count = 2; count <= 8; count += 1) {
      const sizes = new Array<number>(count).fill(0);
      for (const address of ADDRESSES) {
        const owners = Array.from({ length: count }, (_, index) => index).filter((index) => inShard(address, { index, count }));
        assert.equal(owners.length, 1, `${address} in ${count} shards`);
        sizes[owners[0]!] += 1;
      }
      const fair = ADDRESSES.length / count;
      for (const size of sizes) assert.ok(Math.abs(size - fair) <= fair * 0.15, `shard sizes ${sizes.join(', ')} for n=${count}`);
    }
  });

  it('is stable: the same address lands in the same shard every time', () => {
    // Fixed values: a change of the hash would move every deployed fleet between shards.
    assert.deepEqual(
      ['127.0.0.2:50051', '[::1]:8080', 'unix:///run/app.sock'].map((address) => shardOf(address, 7)),
      [5, 2, 6],
    );
    assert.equal(shardOf('127.0.0.2:50051', 1), 0);
  });

  it('reads i/n, 0-based, and refuses anything else', () => {
    assert.deepEqual(parseShard('0/1'), { index: 0, count: 1 });
    assert.deepEqual(parseShard('2/3'), { index: 2, count: 3 });
    for (const bad of ['', '1', '3/3', '-1/2', '0/0', '1/2/3', 'a/b', '0/100000', ' /2']) {
      assert.throws(() => parseShard(bad), HealthArgumentError, bad);
    }
  });
});
