import { TokenBucket } from "../api/token-bucket.js";
import { AppError } from "../errors.js";

/** Thrown when log-in attempts for an account or from an address exceed their budget (429). */
export class RateLimitedError extends AppError {
  readonly retryAfterS: number;
  constructor(retryAfterS: number) {
    super("rate_limited", `too many failed log-in attempts; try again in ${retryAfterS} s`);
    this.retryAfterS = retryAfterS;
  }
}

export interface LoginLimiterOptions {
  /** Failed attempts one account may have at once, then one more per `accountRefillS`. */
  accountBurst?: number;
  accountRefillS?: number;
  /** Failed attempts one IP address may have at once, then one more per `ipRefillS`. */
  ipBurst?: number;
  ipRefillS?: number;
  /** Most keys remembered per kind; the least recently used are forgotten first. */
  maxKeys?: number;
  /** Milliseconds, monotonic (performance.now by default). */
  now?: () => number;
}

/**
 * Rate limit of log-in failures, per account (email) and per client address,
 * each a token bucket that a failure drains and time refills. `check` runs
 * before the password is hashed, so a locked account costs no argon2 work.
 * State is per replica: N replicas allow at most N times the budget.
 */
export class LoginLimiter {
  readonly #accounts = new Map<string, TokenBucket>();
  readonly #ips = new Map<string, TokenBucket>();
  readonly #opts: Required<LoginLimiterOptions>;

  constructor(opts: LoginLimiterOptions = {}) {
    this.#opts = {
      accountBurst: opts.accountBurst ?? 5,
      accountRefillS: opts.accountRefillS ?? 60,
      ipBurst: opts.ipBurst ?? 20,
      ipRefillS: opts.ipRefillS ?? 15,
      maxKeys: opts.maxKeys ?? 10_000,
      now: opts.now ?? (() => performance.now()),
    };
  }

  /** Throws RateLimitedError when either the account or the address has no attempt left. */
  check(email: string, ip: string): void {
    const account = this.#accounts.get(email.toLowerCase());
    const addr = this.#ips.get(ip);
    if (account && account.available < 1) throw new RateLimitedError(this.#opts.accountRefillS);
    if (addr && addr.available < 1) throw new RateLimitedError(this.#opts.ipRefillS);
  }

  recordFailure(email: string, ip: string): void {
    const o = this.#opts;
    this.#bucket(this.#accounts, email.toLowerCase(), o.accountBurst, o.accountRefillS).take(1);
    this.#bucket(this.#ips, ip, o.ipBurst, o.ipRefillS).take(1);
  }

  /** A successful log-in clears the account's failures (not the address's). */
  recordSuccess(email: string): void {
    this.#accounts.delete(email.toLowerCase());
  }

  #bucket(map: Map<string, TokenBucket>, key: string, burst: number, refillS: number): TokenBucket {
    let bucket = map.get(key);
    if (bucket) {
      map.delete(key);
    } else {
      bucket = new TokenBucket({ ratePerSec: 1 / refillS, burst, now: this.#opts.now });
      if (map.size >= this.#opts.maxKeys) {
        const oldest = map.keys().next().value;
        if (oldest !== undefined) map.delete(oldest);
      }
    }
    map.set(key, bucket);
    return bucket;
  }
}
