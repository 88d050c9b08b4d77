interface Waiter<T> {
  matches: (item: T) => boolean;
  resolve: (item: T) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * A hand-off between items that arrive and callers that wait for one that
 * matches, without polling. Each item goes to at most one taker: the oldest
 * waiting taker it matches, else it is kept in a backlog (bounded: the oldest
 * item is dropped past `limit`) for a later `take`. After `close`, takes that
 * find nothing in the backlog reject with the close error.
 */
export class Inbox<T> {
  readonly #limit: number;
  readonly #backlog: T[] = [];
  readonly #waiters: Waiter<T>[] = [];
  #closedWith: Error | null = null;

  constructor(limit: number) {
    this.#limit = limit;
  }

  put(item: T): void {
    const i = this.#waiters.findIndex((w) => w.matches(item));
    const waiter = i >= 0 ? this.#waiters.splice(i, 1)[0] : undefined;
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.resolve(item);
      return;
    }
    this.#backlog.push(item);
    if (this.#backlog.length > this.#limit) this.#backlog.shift();
  }

  /** The oldest kept item that matches, else the next one to arrive; rejects with `onTimeout()` after `timeoutMs`. */
  take<U extends T>(matches: (item: T) => item is U, timeoutMs: number, onTimeout: () => Error): Promise<U> {
    const i = this.#backlog.findIndex(matches);
    if (i >= 0) return Promise.resolve(this.#backlog.splice(i, 1)[0] as U);
    if (this.#closedWith) return Promise.reject(this.#closedWith);
    return new Promise<U>((resolve, reject) => {
      const waiter: Waiter<T> = {
        matches,
        resolve: (item) => resolve(item as U),
        reject,
        timer: setTimeout(() => {
          const at = this.#waiters.indexOf(waiter);
          if (at >= 0) this.#waiters.splice(at, 1);
          reject(onTimeout());
        }, timeoutMs),
      };
      this.#waiters.push(waiter);
    });
  }

  /** Rejects every current waiter with `err`, and every later take that finds nothing kept. */
  close(err: Error): void {
    this.#closedWith = err;
    for (const waiter of this.#waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(err);
    }
  }
}
