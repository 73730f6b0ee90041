import { describe, expect, it } from 'vitest';
import { runPool } from '../../../src/util/pool.js';

describe('runPool', () => {
  it.each([1, 4, 16])('never has more than %i in flight, and runs every item once', async (limit) => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    await runPool(
      Array.from({ length: 50 }, (_, i) => i),
      limit,
      async (item) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 1 + (item % 3)));
        seen.push(item);
        inFlight--;
      },
    );
    expect(peak).toBe(limit);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('stops starting items once asked to', async () => {
    const started: number[] = [];
    let stop = false;
    await runPool(
      Array.from({ length: 100 }, (_, i) => i),
      2,
      async (item) => {
        started.push(item);
        if (item === 5) stop = true;
        await new Promise((r) => setTimeout(r, 1));
      },
      () => stop,
    );
    expect(started.length).toBeLessThanOrEqual(7);
    expect(started).toContain(5);
  });

  it('handles an empty list', async () => {
    let calls = 0;
    await runPool([], 8, async () => {
      calls++;
    });
    expect(calls).toBe(0);
  });
});
