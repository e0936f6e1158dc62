/**
 * Group commit's queue, for any batched round trip: items that arrive while a batch is
 * running wait, then go together in the next one. With no concurrency an item runs at once
 * (no timer), so batching adds no latency when there is nothing to batch.
 *
 * `runBatch` settles each item itself (it owns their promises) and must not throw; the
 * queue only decides which items go together and when.
 */
export class BatchQueue<Item> {
  private queue: Item[] = [];
  private inFlight = 0;
  private idle: Array<() => void> = [];

  /**
   * @param runBatch runs one batch (resolves when its items are settled).
   * @param options.maxBatch largest batch. @default unbounded
   * @param options.maxInFlight batches running at once. @default 1
   */
  constructor(
    private readonly runBatch: (batch: Item[]) => Promise<void>,
    private readonly options: { maxBatch?: number; maxInFlight?: number } = {},
  ) {}

  push(item: Item): void {
    this.queue.push(item);
    this.pump();
  }

  /** Resolves once every queued item has been run. */
  drained(): Promise<void> {
    if (this.inFlight === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private pump(): void {
    const maxInFlight = this.options.maxInFlight ?? 1;
    while (this.inFlight < maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatch ?? this.queue.length);
      this.inFlight += 1;
      void this.runBatch(batch).finally(() => {
        this.inFlight -= 1;
        this.pump();
        if (this.inFlight === 0 && this.queue.length === 0) this.idle.splice(0).forEach((resolve) => resolve());
      });
    }
  }
}
