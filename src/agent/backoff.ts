/** Reconnect delays: exponential from `baseMs`, capped at `capMs`, with jitter. */
export interface BackoffOptions {
  /** The first delay before jitter; defaults to 500 ms. */
  baseMs?: number;
  /** No delay exceeds this; defaults to 30 s (well inside the 120 s heartbeat timeout). */
  capMs?: number;
  /** In [0, 1); defaults to `Math.random`. */
  random?: () => number;
}

/**
 * The delay before reconnect attempt `attempt` (0 for the first retry):
 * `min(cap, base·2^attempt)` scaled by a factor in [0.5, 1), so a fleet that
 * lost the control plane at the same moment spreads its reconnects out while
 * each agent still waits at least half the nominal delay.
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 500;
  const cap = options.capMs ?? 30_000;
  const nominal = Math.min(cap, base * 2 ** Math.min(attempt, 30));
  const factor = 0.5 + 0.5 * (options.random ?? Math.random)();
  return Math.min(cap, Math.round(nominal * factor));
}
