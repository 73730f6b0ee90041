// The one concurrency pool: smoke's servers, trace's namespaces, /proc reads.

/**
 * Runs work(item) for every item with at most `limit` in flight, in order of start. `stop()` ends
 * the scheduling of new items (what runs finishes). Results are handed to onResult as they come,
 * so nothing but what the caller keeps stays in memory.
 */
export async function runPool<T>(
  items: Iterable<T>,
  limit: number,
  work: (item: T, index: number) => Promise<void>,
  shouldStop: () => boolean = () => false,
): Promise<void> {
  const it = items[Symbol.iterator]();
  let index = 0;
  const worker = async () => {
    for (;;) {
      if (shouldStop()) return;
      const next = it.next();
      if (next.done) return;
      await work(next.value, index++);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, worker));
}

/** Bounded parallel map, results in the items' order: /proc reads are cheap, but not 10,000 at once. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (t: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  await runPool(items, Math.min(limit, items.length), async (t, i) => {
    out[i] = await fn(t);
  });
  return out;
}
