/** SQLSTATEs after which the whole transaction is safe to run again. */
export const RETRYABLE_SQLSTATES: ReadonlySet<string> = new Set([
  "40001", // serialization_failure
  "40P01", // deadlock_detected
]);

export interface RetryOptions {
  attempts?: number;
  /** Base delay; attempt n waits a random time in [0, base × 2^n). */
  baseDelayMs?: number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  onRetry?: (attempt: number, code: string) => void;
}

export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * Runs `fn` (which must run a whole transaction) again after a serialization
 * failure or deadlock, with full-jitter exponential backoff; any other error,
 * or the last attempt's, is thrown.
 */
export async function withTxRetry<T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? 6;
  const base = opts.baseDelayMs ?? 5;
  const random = opts.random ?? Math.random;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const code = sqlState(err);
      if (code === undefined || !RETRYABLE_SQLSTATES.has(code) || attempt + 1 >= attempts) throw err;
      opts.onRetry?.(attempt + 1, code);
      await sleep(random() * base * 2 ** attempt);
    }
  }
}
