import { BatchQueue } from './batch-queue';

describe('BatchQueue', () => {
  it('runs an item at once, then batches what arrives meanwhile, bounded by maxBatch and maxInFlight', async () => {
    const batches: number[][] = [];
    const running: Array<() => void> = [];
    let concurrent = 0;
    let peak = 0;
    const queue = new BatchQueue<number>(
      (batch) =>
        new Promise((resolve) => {
          batches.push(batch);
          peak = Math.max(peak, ++concurrent);
          running.push(() => {
            concurrent -= 1;
            resolve();
          });
        }),
      { maxBatch: 3 },
    );
    queue.push(1); // runs alone, at once
    for (let i = 2; i <= 6; i++) queue.push(i);
    expect(batches).toEqual([[1]]);
    const drained = queue.drained();
    while (running.length) {
      running.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await drained;
    expect(batches).toEqual([[1], [2, 3, 4], [5, 6]]);
    expect(peak).toBe(1);
  });

  it('is drained at once when idle', async () => {
    await expect(new BatchQueue<number>(async () => undefined).drained()).resolves.toBeUndefined();
  });
});
