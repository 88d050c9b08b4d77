/**
 * Group commit: items added while a write is in flight are written together
 * by the next one, so a burst of N items costs a handful of statements
 * instead of N, and a lone item is written at the end of the current turn
 * of the event loop (setImmediate: no timer, well under a millisecond). `add` resolves with the item's own result once the write that
 * carried it has finished, and rejects if that write failed.
 *
 * Contract of `write(items)`: one result per item, in the same order.
 * Writes never overlap; each carries at most `maxItems` items.
 */
export class GroupWriter<T, R> {
  private queue: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly write: (items: T[]) => Promise<R[]>,
    private readonly maxItems = 1000,
  ) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.running ??= this.run().finally(() => {
        this.running = undefined;
      });
    });
  }

  /** Resolves when everything added so far has been written (or has failed). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async run(): Promise<void> {
    for (;;) {
      // Let the I/O callbacks of this turn of the event loop add their items
      // first (a microtask would not: callbacks run one by one, and an
      // embedded database blocks the thread while it writes).
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.queue.length === 0) return;
      const group = this.queue.splice(0, this.maxItems);
      try {
        const results = await this.write(group.map((g) => g.item));
        group.forEach((g, i) => g.resolve(results[i] as R));
      } catch (err) {
        for (const g of group) g.reject(err);
      }
    }
  }
}
