/**
 * The agent's restart policy for containers that die (containers run with no
 * Podman restart policy; podman.ts says why). Pure bookkeeping with an
 * injected clock: the agent calls `onDeath` for each unexpected `died` event
 * and restarts the container after the returned delay.
 *
 * Contract:
 * - a clean exit (code 0) is not restarted: the app is reported `stopped`;
 * - otherwise the delay doubles from `minDelayMs` up to `maxDelayMs`, and
 *   falls back to `minDelayMs` after `windowMs` without a death;
 * - `crashloop` is true when this restart would be the 6th or later within
 *   `windowMs` (more than `maxRestarts` restarts in 10 minutes); the agent
 *   then reports `crashed` / `crashloop` once and keeps restarting at the
 *   (long) delay, so an app that recovers is reported `running` again.
 */

export interface RestartPolicyOptions {
  now?: () => number;
  /** Restarts allowed within `windowMs` before it is a crash loop; defaults to 5. */
  maxRestarts?: number;
  windowMs?: number;
  minDelayMs?: number;
  maxDelayMs?: number;
}

export type RestartDecision =
  | { action: "stay-stopped" }
  | { action: "restart"; delayMs: number; crashloop: boolean; restartsInWindow: number };

export class RestartPolicy {
  private readonly now: () => number;
  private readonly maxRestarts: number;
  private readonly windowMs: number;
  private readonly minDelayMs: number;
  private readonly maxDelayMs: number;
  /** Restart times per key (an app or container id), oldest first, within the window. */
  private readonly restarts = new Map<string, number[]>();

  constructor(options: RestartPolicyOptions = {}) {
    this.now = options.now ?? Date.now;
    this.maxRestarts = options.maxRestarts ?? 5;
    this.windowMs = options.windowMs ?? 10 * 60_000;
    this.minDelayMs = options.minDelayMs ?? 1_000;
    this.maxDelayMs = options.maxDelayMs ?? 60_000;
  }

  /** Records a death of `key` with `exitCode` and says what to do. */
  onDeath(key: string, exitCode: number | null): RestartDecision {
    if (exitCode === 0) return { action: "stay-stopped" };
    const now = this.now();
    const times = (this.restarts.get(key) ?? []).filter((t) => now - t < this.windowMs);
    const delayMs = Math.min(this.maxDelayMs, this.minDelayMs * 2 ** times.length);
    times.push(now);
    this.restarts.set(key, times);
    return {
      action: "restart",
      delayMs,
      crashloop: times.length > this.maxRestarts,
      restartsInWindow: times.length,
    };
  }

  /** Restarts of `key` within the window, as of now. */
  count(key: string): number {
    const now = this.now();
    return (this.restarts.get(key) ?? []).filter((t) => now - t < this.windowMs).length;
  }

  /** Forgets `key` (the app was stopped, deleted or redeployed on purpose). */
  forget(key: string): void {
    this.restarts.delete(key);
  }
}
