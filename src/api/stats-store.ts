/** How long an app's live stats stay readable after the worker sent them (worker protocol §5, `app_stats`). */
export const STATS_TTL_MS = 45_000;

/** One app's live resource usage, as last reported by its worker. */
export interface LiveAppStats {
  cpuPct: number;
  memBytes: number;
  memLimit: number;
  netMbps: number;
  netTotalBytes: number;
  diskMbps: number;
  /** When the snapshot was taken (for display); staleness is judged by the store's clock. */
  updatedAt: Date;
}

/** LiveAppStats without the Date: what `putSample` takes, with the time as epoch ms beside it. */
export type StatsSample = Omit<LiveAppStats, "updatedAt">;

export interface StatsStoreOptions {
  /** Milliseconds an entry stays readable after its `put`; default {@link STATS_TTL_MS}. */
  ttlMs?: number;
  /** Milliseconds; defaults to `Date.now`. */
  now?: () => number;
}

/**
 * One app's stats as stored: flat, with `updatedAt` as epoch ms. A put
 * overwrites the app's entry in place, so the stream of app_stats allocates
 * nothing long-lived: at thousands of puts a second, fresh entries outlived
 * the young generation and filled the old one with garbage to collect.
 */
interface Entry {
  cpuPct: number;
  memBytes: number;
  memLimit: number;
  netMbps: number;
  netTotalBytes: number;
  diskMbps: number;
  updatedAtMs: number;
  putAt: number;
}

/**
 * In-memory cache of per-app live stats with a TTL.
 *
 * Contract:
 * - an entry is fresh while `now() − putAt < ttlMs`, where `putAt` is the
 *   store's clock at the `put` (not `stats.updatedAt`, which is the worker's
 *   clock); from then on `get` returns undefined;
 * - memory is bounded by the apps written in the last ttl or so: `put` sweeps
 *   every stale entry when at least `ttlMs` has passed since the last sweep
 *   (the reference's lazy GC on Put), and `get` drops the stale entry it meets;
 * - stats are copied in and out, so callers cannot mutate the cache.
 */
export class StatsStore {
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<number, Entry>();
  #lastSweep: number;

  constructor(options: StatsStoreOptions = {}) {
    const ttlMs = options.ttlMs ?? STATS_TTL_MS;
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`ttlMs must be > 0, got ${ttlMs}`);
    this.#ttlMs = ttlMs;
    this.#now = options.now ?? Date.now;
    this.#lastSweep = this.#now();
  }

  /** Stores `stats` for `appId`, replacing any earlier entry; may first sweep stale entries. */
  put(appId: number, stats: LiveAppStats): void {
    this.putSample(appId, stats, stats.updatedAt.getTime());
  }

  /** `put` with the snapshot time given as epoch ms (the app_stats path: no Date per app). */
  putSample(appId: number, sample: StatsSample, updatedAtMs: number): void {
    const now = this.#now();
    if (now - this.#lastSweep >= this.#ttlMs) this.#sweep(now);
    const entry = this.#entries.get(appId);
    if (!entry) {
      this.#entries.set(appId, {
        cpuPct: sample.cpuPct,
        memBytes: sample.memBytes,
        memLimit: sample.memLimit,
        netMbps: sample.netMbps,
        netTotalBytes: sample.netTotalBytes,
        diskMbps: sample.diskMbps,
        updatedAtMs,
        putAt: now,
      });
      return;
    }
    entry.cpuPct = sample.cpuPct;
    entry.memBytes = sample.memBytes;
    entry.memLimit = sample.memLimit;
    entry.netMbps = sample.netMbps;
    entry.netTotalBytes = sample.netTotalBytes;
    entry.diskMbps = sample.diskMbps;
    entry.updatedAtMs = updatedAtMs;
    entry.putAt = now;
  }

  /** The app's stats if they were put less than ttl ago, else undefined. */
  get(appId: number): LiveAppStats | undefined {
    const entry = this.#entries.get(appId);
    if (!entry) return undefined;
    if (this.#isStale(entry, this.#now())) {
      this.#entries.delete(appId);
      return undefined;
    }
    return {
      cpuPct: entry.cpuPct,
      memBytes: entry.memBytes,
      memLimit: entry.memLimit,
      netMbps: entry.netMbps,
      netTotalBytes: entry.netTotalBytes,
      diskMbps: entry.diskMbps,
      updatedAt: new Date(entry.updatedAtMs),
    };
  }

  /** Forgets the app (stopped, moved or deleted). Idempotent. */
  deleteApp(appId: number): void {
    this.#entries.delete(appId);
  }

  /** Entries held, fresh or not yet swept (for tests and metrics). */
  get size(): number {
    return this.#entries.size;
  }

  #isStale(entry: Entry, now: number): boolean {
    return now - entry.putAt >= this.#ttlMs;
  }

  #sweep(now: number): void {
    this.#lastSweep = now;
    for (const [appId, entry] of this.#entries) {
      if (this.#isStale(entry, now)) this.#entries.delete(appId);
    }
  }
}
