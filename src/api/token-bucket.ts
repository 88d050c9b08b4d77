/** Sustained log bytes one worker connection may send (worker protocol §3, "Keep-alive and limits"). */
export const LOG_RATE_BYTES_PER_SEC = 256 * 1024;
/** Log bytes one worker connection may send at once after a quiet spell. */
export const LOG_BURST_BYTES = 1024 * 1024;
/** A connection gets at most one `rate_limited` error per this many milliseconds. */
export const RATE_LIMITED_ERROR_INTERVAL_MS = 1000;

export interface TokenBucketOptions {
  /** Tokens added per second of elapsed time. */
  ratePerSec: number;
  /** Most tokens the bucket holds; it starts full. */
  burst: number;
  /** Milliseconds from any origin; defaults to `performance.now` (monotonic). */
  now?: () => number;
}

/**
 * A token bucket: `take(n)` succeeds while the caller stays within `burst`
 * tokens at once and `ratePerSec` over time.
 *
 * Contract:
 * - the bucket starts full;
 * - before each `take`, it gains `elapsed ms × ratePerSec / 1000` tokens,
 *   capped at `burst`; a clock that goes backwards adds nothing and does not
 *   let the same interval be counted twice;
 * - `take(n)` removes all `n` tokens and returns true, or removes none and
 *   returns false (so `n > burst` always fails); tokens are fractional.
 */
export class TokenBucket {
  readonly #ratePerMs: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;

  constructor(options: TokenBucketOptions) {
    const { ratePerSec, burst } = options;
    if (!Number.isFinite(ratePerSec) || ratePerSec < 0) {
      throw new RangeError(`ratePerSec must be ≥ 0, got ${ratePerSec}`);
    }
    if (!Number.isFinite(burst) || burst <= 0) throw new RangeError(`burst must be > 0, got ${burst}`);
    this.#ratePerMs = ratePerSec / 1000;
    this.#burst = burst;
    this.#now = options.now ?? (() => performance.now());
    this.#tokens = burst;
    this.#last = this.#now();
  }

  /** Takes `n` tokens if the bucket holds that many after refilling; see the class contract. */
  take(n: number): boolean {
    if (!Number.isFinite(n) || n < 0) throw new RangeError(`n must be ≥ 0, got ${n}`);
    this.#refill();
    if (n > this.#tokens) return false;
    this.#tokens -= n;
    return true;
  }

  /** Tokens available right now (after refilling), for tests and metrics. */
  get available(): number {
    this.#refill();
    return this.#tokens;
  }

  #refill(): void {
    const now = this.#now();
    if (now <= this.#last) return;
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#last) * this.#ratePerMs);
    this.#last = now;
  }
}

export interface OncePerOptions {
  /** Minimum milliseconds between two `true` results. */
  intervalMs: number;
  /** Milliseconds from any origin; defaults to `performance.now` (monotonic). */
  now?: () => number;
}

/**
 * Lets something happen at most once per interval, such as sending a
 * `rate_limited` error. `ready()` returns true on its first call and then
 * only once at least `intervalMs` has passed since the last true; a clock that
 * goes backwards restarts the interval from the earlier time rather than
 * blocking until the old time comes round again.
 */
export class OncePer {
  readonly #intervalMs: number;
  readonly #now: () => number;
  #last: number | undefined;

  constructor(options: OncePerOptions) {
    if (!Number.isFinite(options.intervalMs) || options.intervalMs < 0) {
      throw new RangeError(`intervalMs must be ≥ 0, got ${options.intervalMs}`);
    }
    this.#intervalMs = options.intervalMs;
    this.#now = options.now ?? (() => performance.now());
  }

  ready(): boolean {
    const now = this.#now();
    if (this.#last !== undefined) {
      if (now < this.#last) {
        this.#last = now;
        return false;
      }
      if (now - this.#last < this.#intervalMs) return false;
    }
    this.#last = now;
    return true;
  }
}
