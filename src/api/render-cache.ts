export interface RenderCacheOptions<T> {
  /** How long a loaded value is served, in milliseconds. */
  ttlMs: number;
  /** Milliseconds on a monotonic line; `performance.now()` unless a test injects one. */
  now?: () => number;
  load: () => Promise<T>;
}

/**
 * One value, loaded on demand and served for `ttlMs` after its load started
 * (so what it serves is never older than that, however long a load takes).
 *
 * - Concurrent misses share one load: a burst of polls costs one render.
 * - A failed load is not stored; the error goes to every caller waiting on
 *   it, and the next call loads again.
 * - invalidate() drops the value, and a load already in flight is neither
 *   stored nor shared with later callers: anything asked after invalidate()
 *   returns reflects a load that started after it.
 * - A clock that steps backwards counts as expiry, never as freshness.
 */
export class RenderCache<T> {
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #load: () => Promise<T>;
  #value: { value: T; loadedAt: number } | undefined;
  #inflight: Promise<T> | undefined;
  #generation = 0;

  constructor(opts: RenderCacheOptions<T>) {
    this.#ttlMs = opts.ttlMs;
    this.#now = opts.now ?? (() => performance.now());
    this.#load = opts.load;
  }

  get(): Promise<T> {
    const now = this.#now();
    const cached = this.#value;
    if (cached && now >= cached.loadedAt && now - cached.loadedAt < this.#ttlMs) {
      return Promise.resolve(cached.value);
    }
    if (this.#inflight) return this.#inflight;
    const generation = this.#generation;
    const load = (async () => this.#load())().then((value) => {
      if (generation === this.#generation) this.#value = { value, loadedAt: now };
      return value;
    });
    const clear = (): void => {
      if (this.#inflight === load) this.#inflight = undefined;
    };
    load.then(clear, clear);
    this.#inflight = load;
    return load;
  }

  invalidate(): void {
    this.#generation += 1;
    this.#value = undefined;
    this.#inflight = undefined;
  }
}
