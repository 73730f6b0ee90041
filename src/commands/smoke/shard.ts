import { createHash } from 'node:crypto';
import { usageError } from '../../errors.js';

// smoke --shard K/N: several CI runners split one cloud's servers without talking to each other.
// A server belongs to shard (h mod N) + 1, where h is the first 8 hex digits of the SHA-256 of
// its ID (UTF-8) read as an unsigned 32-bit integer: the same on every runner, whatever order
// nova lists the servers in, so the N shards together check every server exactly once.

export interface Shard {
  /** 1 … count */
  index: number;
  count: number;
}

/** More runners than this is a typo, not a fleet. */
export const MAX_SHARDS = 1000;

export function parseShard(v: string): Shard {
  const m = /^(\d{1,4})\/(\d{1,4})$/.exec(v.trim());
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!m || count < 1 || count > MAX_SHARDS || index < 1 || index > count) {
    throw usageError(
      'INVALID_OPTION',
      `--shard takes K/N with 1 ≤ K ≤ N ≤ ${MAX_SHARDS} (this runner's number, the number of runners), not '${v}'`,
      { hint: 'e.g. --shard 2/4 on the second of four runners' },
    );
  }
  return { index, count };
}

/** The shard (1 … count) a server ID belongs to. */
export function shardOf(serverId: string, count: number): number {
  const h = Number.parseInt(createHash('sha256').update(serverId, 'utf8').digest('hex').slice(0, 8), 16);
  return (h % count) + 1;
}

/** The servers of this shard, in the order given; all of them without --shard. */
export function inShard<T extends { id: string }>(servers: readonly T[], shard: Shard | undefined): T[] {
  if (!shard) return [...servers];
  return servers.filter((s) => shardOf(s.id, shard.count) === shard.index);
}
