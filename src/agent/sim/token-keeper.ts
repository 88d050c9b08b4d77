import type { LoopLogger } from "../../loop.js";
import type { HttpClientOptions, TokenResponse } from "./http-client.js";
import { refreshToken } from "./http-client.js";
import type { ClearTimer, SetTimer } from "./sim-timers.js";
import { MAX_DELAY_MS } from "./sim-timers.js";

export interface TokenKeeperOptions extends HttpClientOptions {
  baseUrl: string;
  apiKey: string;
  /** Refresh this long before expiry; defaults to 2 minutes (worker protocol §2). */
  refreshLeadMs?: number;
  /** After a failed refresh, try again after this long; defaults to 10 s. */
  refreshRetryMs?: number;
  /** Milliseconds since the epoch; defaults to `Date.now`. */
  now?: () => number;
  setTimer?: SetTimer;
  clearTimer?: ClearTimer;
  log: LoopLogger;
  /** Called after every successful refresh. */
  onRefreshed?: (token: TokenResponse) => void;
}

/** Successive refreshes are at least this far apart, even for a token that is due at once. */
const MIN_GAP_MS = 1_000;

/**
 * Holds a worker's current JWT and keeps it fresh: once `start`ed, it calls
 * refresh-token `refreshLeadMs` before expiry, then again before the new
 * token's expiry, on a setTimeout chain (one refresh in flight at most); a
 * failure is logged and retried after `refreshRetryMs`. `stop` cancels the
 * next refresh; one already in flight still lands but schedules nothing.
 */
export class TokenKeeper {
  readonly #opts: TokenKeeperOptions;
  readonly #now: () => number;
  #current: TokenResponse | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(options: TokenKeeperOptions) {
    this.#opts = options;
    this.#now = options.now ?? Date.now;
  }

  get current(): TokenResponse | undefined {
    return this.#current;
  }

  set(token: TokenResponse): void {
    this.#current = token;
  }

  /** Milliseconds until the token is due for refresh; 0 when it is due (or there is none). */
  dueInMs(): number {
    const expires = this.#current ? Date.parse(this.#current.token_expires_at) : 0;
    return Math.max(0, expires - (this.#opts.refreshLeadMs ?? 120_000) - this.#now());
  }

  /** Fetches a new token now with the raw API key; rejects with `WorkerHttpError` on failure. */
  async refresh(): Promise<TokenResponse> {
    const { baseUrl, apiKey, fetch, timeoutMs } = this.#opts;
    const token = await refreshToken({
      baseUrl,
      apiKey,
      ...(fetch ? { fetch } : {}),
      ...(timeoutMs ? { timeoutMs } : {}),
    });
    this.#current = token;
    this.#opts.onRefreshed?.(token);
    return token;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule(this.dueInMs());
  }

  stop(): void {
    this.#running = false;
    if (this.#timer) (this.#opts.clearTimer ?? clearTimeout)(this.#timer);
    this.#timer = undefined;
  }

  #schedule(ms: number): void {
    const set = this.#opts.setTimer ?? setTimeout;
    this.#timer = set(
      () => {
        this.#timer = undefined;
        this.refresh().then(
          () => this.#running && this.#schedule(Math.max(this.dueInMs(), MIN_GAP_MS)),
          (err: unknown) => {
            this.#opts.log.error({ err }, "worker token refresh failed");
            if (this.#running) this.#schedule(this.#opts.refreshRetryMs ?? 10_000);
          },
        );
      },
      Math.min(ms, MAX_DELAY_MS),
    );
    this.#timer.unref?.();
  }
}
