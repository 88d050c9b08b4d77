/**
 * Retry schedule of a failed delivery: about 30 s, 2 min, 10 min, 1 h and
 * 6 h after the 1st to 5th failed attempts; the 6th failure is final. Each
 * delay is jittered by ±20 % so that deliveries that failed together (a
 * receiver's outage) do not all come back in the same second.
 */

export const DEFAULT_BACKOFF_MS: readonly number[] = [30_000, 120_000, 600_000, 3_600_000, 21_600_000];
export const JITTER = 0.2;

/**
 * When to try again after `attemptsMade` attempts (counting the one that just
 * failed), or null when that was the last. `random` returns [0, 1).
 */
export function nextAttemptAt(
  attemptsMade: number,
  now: Date,
  random: () => number,
  schedule: readonly number[] = DEFAULT_BACKOFF_MS,
): Date | null {
  const base = schedule[attemptsMade - 1];
  if (base === undefined) return null;
  const factor = 1 - JITTER + 2 * JITTER * random();
  return new Date(now.getTime() + Math.round(base * factor));
}

/** Attempts a delivery gets in all: the first plus one per step of the schedule. */
export function maxAttempts(schedule: readonly number[] = DEFAULT_BACKOFF_MS): number {
  return schedule.length + 1;
}
