/**
 * Splitting a fleet between dashboard processes: `-shard i/n` watches the
 * backends whose address hashes to shard `i` of `n` (0-based, as StatefulSet
 * ordinals are). The hash is SHA-256 of the address as shown (`127.0.0.2:50051`),
 * so every process, on any machine or version, puts a backend in the same shard,
 * and each backend is in exactly one.
 */
import { createHash } from 'node:crypto';
import { HealthArgumentError } from '../errors.js';

/** One shard of a fleet: `index` from 0 to `count - 1`. */
export interface Shard {
  index: number;
  count: number;
}

/** The whole fleet in one process. */
export const WHOLE_FLEET: Readonly<Shard> = Object.freeze({ index: 0, count: 1 });

// More shards than this is a typo, not a deployment.
const MAX_SHARDS = 10_000;

/** Reads `i/n` (0-based `i`); throws {@link HealthArgumentError} for anything else. */
export function parseShard(text: string): Shard {
  const match = /^(\d{1,5})\/(\d{1,5})$/.exec(text.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || count > MAX_SHARDS || index >= count) {
    throw new HealthArgumentError(
      `shard ${JSON.stringify(text.slice(0, 40))}: expected i/n with n from 1 to ${MAX_SHARDS} and i from 0 to n-1 (0-based)`,
    );
  }
  return { index, count };
}

/** The shard (0 to `count - 1`) a backend address belongs to. */
export function shardOf(address: string, count: number): number {
  if (count <= 1) return 0;
  return createHash('sha256').update(address).digest().readUInt32BE(0) % count;
}

/** Whether `shard` watches the backend at `address`. */
export function inShard(address: string, shard: Shard): boolean {
  return shardOf(address, shard.count) === shard.index;
}
