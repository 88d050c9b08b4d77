import type { LiveAppStats } from "../api/stats-store.js";
import type { AlertRuleKind } from "../db/schema.js";

/**
 * The threshold poller's decisions, free of I/O and clocks: what a rule's
 * condition is at one tick (observe) and what the sustain window makes of a
 * series of those (step). threshold.ts feeds them from the database and the
 * live stats; evaluate.test.ts feeds them tables of time series.
 */

export type MetricKind = Exclude<AlertRuleKind, "offline">;

/** What one tick saw of an app, as far as its rules are concerned. */
export interface AppReading {
  /** The app's live stats if a fresh snapshot exists, else undefined. */
  stats: LiveAppStats | undefined;
  /** The app's worker exists and is online. */
  workerOnline: boolean;
  /** The app's memory limit in MiB, used when the worker reports no limit. */
  memoryMb: number;
  /**
   * No snapshot could be expected yet (this process has only just started
   * and workers are still reconnecting): missing stats are unknown, not down.
   */
  statsPending?: boolean;
}

const MIB = 1024 * 1024;

/**
 * The value a metric rule compares with its threshold: `cpu` in percent,
 * `memory` in percent of the limit (the container's, else the app's
 * memory_mb), `network` in Mbps, `disk` in MB/s (the worker's `disk_mbps`
 * as reported). Undefined without a fresh snapshot or a usable value.
 */
export function metricValue(kind: MetricKind, reading: AppReading): number | undefined {
  const s = reading.stats;
  if (!s) return undefined;
  let value: number;
  switch (kind) {
    case "cpu":
      value = s.cpuPct;
      break;
    case "memory": {
      const limit = s.memLimit > 0 ? s.memLimit : reading.memoryMb * MIB;
      if (!(limit > 0)) return undefined;
      value = (s.memBytes / limit) * 100;
      break;
    }
    case "network":
      value = s.netMbps;
      break;
    case "disk":
      value = s.diskMbps;
      break;
  }
  return Number.isFinite(value) ? value : undefined;
}

/**
 * Whether the rule's condition holds at this tick: for a metric, its value
 * is strictly above the threshold (undefined when there is no value: no
 * decision is made on data not seen); for `offline`, the app's worker is
 * offline or the app has no fresh stats snapshot (unknown instead while
 * stats are pending); the threshold is not used.
 */
export function observe(kind: AlertRuleKind, threshold: number, reading: AppReading): boolean | undefined {
  if (kind === "offline") {
    if (!reading.workerOnline) return true;
    if (reading.stats) return false;
    return reading.statsPending ? undefined : true;
  }
  const value = metricValue(kind, reading);
  return value === undefined ? undefined : value > threshold;
}

/** The condition has been observed, at every tick of this process since `since` (ms), as `over`. */
export interface Streak {
  over: boolean;
  since: number;
}

export type Decision = "fire" | "resolve";

export interface StepResult {
  /** The streak to keep for the next tick; undefined when the condition was unknown. */
  streak: Streak | undefined;
  decision: Decision | undefined;
}

/**
 * One tick of one rule's sustain window with hysteresis.
 *
 * Contract:
 * - `fire` only when not firing and the condition has been observed over at
 *   every tick for at least `sustainMs` (now − since ≥ sustainMs);
 * - `resolve` only when firing and it has been observed not over at every
 *   tick for at least `sustainMs`;
 * - a single spike or dip restarts the streak and so changes nothing;
 * - an unknown condition (undefined) drops the streak: the window restarts
 *   at the next known tick;
 * - a streak starts at the first tick observed, so a process without
 *   history (just restarted) decides nothing for a full window.
 */
export function step(
  prev: Streak | undefined,
  over: boolean | undefined,
  firing: boolean,
  now: number,
  sustainMs: number,
): StepResult {
  if (over === undefined) return { streak: undefined, decision: undefined };
  const streak = prev && prev.over === over && prev.since <= now ? prev : { over, since: now };
  const sustained = now - streak.since >= sustainMs;
  let decision: Decision | undefined;
  if (sustained && over && !firing) decision = "fire";
  else if (sustained && !over && firing) decision = "resolve";
  return { streak, decision };
}
