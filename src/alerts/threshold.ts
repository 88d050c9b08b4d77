import type { Kysely } from "kysely";
import { STATS_TTL_MS, type LiveAppStats } from "../api/stats-store.js";
import {
  listEvaluableRules,
  RULE_ALERT_SOURCE_TYPE,
  ruleAlertSourceId,
  type EvaluableRule,
} from "../db/app-alert-rules.js";
import { listAppEventFields } from "../db/apps.js";
import type { AlertRuleKind, DB } from "../db/schema.js";
import type { EventApp } from "../events/publisher.js";
import type { Service } from "../lifecycle.js";
import { Loop, type LoopLogger } from "../loop.js";
import { withTickLock } from "../scheduler/advisory-lock.js";
import { FIRED_EVENT, ruleMessage, ruleTitle, RULE_SEVERITY } from "./alert-text.js";
import { metricValue, observe, step, type AppReading, type Decision, type Streak } from "./evaluate.js";
import type { AlertManager } from "./manager.js";

/** `alerts.interval_s` default, in ms. */
export const ALERTS_INTERVAL_MS = 30_000;

/**
 * Held by the tick of ThresholdPoller. Same namespace as the keys in
 * scheduler/advisory-lock.ts: high 32 bits "wise", low 32 bits the loop's
 * number (1 stuck jobs, 2 worker health, 3 this one).
 */
export const ALERTS_LOCK_KEY: bigint = (0x7769_7365n << 32n) | 3n;

/** Where the live stats come from: the WS hub (`Hub.appStatsLive`), a fake in tests. */
export interface StatsReader {
  appStatsLive(appId: number): LiveAppStats | undefined;
}

export interface ThresholdPollerOptions {
  db: Kysely<DB>;
  stats: StatsReader;
  manager: Pick<AlertManager, "emit" | "resolveBySource">;
  log: LoopLogger;
  now: () => Date;
  /** `alerts.interval_s` in ms; default {@link ALERTS_INTERVAL_MS}. */
  intervalMs?: number;
  /** When this control plane started; defaults to now() at construction. */
  startedAt?: Date;
  /**
   * For this long after startedAt, an app without stats (its worker online)
   * is not counted offline: the stats store starts empty and workers need a
   * moment to reconnect and report. Default {@link STATS_TTL_MS}.
   */
  statsGraceMs?: number;
  /**
   * True when this replica holds the worker's connection, so the worker's
   * app stats are in this replica's hub (main: `(id) => hub.connection(id)
   * !== undefined`). Given, an app whose worker is online is judged only by
   * the replica holding that worker, so a replica never takes another's
   * apps for offline. Omitted (one replica), every app is judged here.
   */
  holdsWorker?: (workerId: number) => boolean;
}

/** One rule's alert changing state. */
export interface RuleTransition {
  appId: number;
  kind: AlertRuleKind;
  alertId: number;
}

export interface ThresholdTickResult {
  /** Rules judged this tick. */
  evaluated: number;
  /** Alerts this tick created (an emit that found one active already is not counted), by app and kind. */
  fired: RuleTransition[];
  /** Alerts this tick resolved, by app and kind. */
  resolved: RuleTransition[];
  /** Set when another replica held the lock: nothing was judged. */
  skipped?: "locked";
}

interface Tracked {
  streak: Streak;
  /** The tick of this process that last stepped it. */
  seen: number;
}

interface Action {
  decision: Decision;
  rule: EvaluableRule;
  value: number | undefined;
}

/** Decisions applied at once, each one or two statements on the pool (PGlite runs them one by one). */
const APPLY_CONCURRENCY = 8;

const KIND_INDEX: Readonly<Record<AlertRuleKind, number>> = {
  cpu: 0,
  memory: 1,
  network: 2,
  disk: 3,
  offline: 4,
};

/**
 * The reference's ThresholdPoller. Every interval, under an advisory lock
 * (one replica at a time), one query reads every enabled rule of the running
 * apps with its app, worker status and whether its alert is active; each
 * rule is judged by evaluate.ts's step against the live stats; then, after
 * the lock's transaction has committed, the names of the apps concerned are
 * read (only when something changes) and the decisions are applied through
 * the AlertManager (which publishes app.<kind> on fire and alert.resolved on
 * resolve). Its writes are idempotent under the alerts' unique index, so a
 * decision applied late, or by two replicas, never duplicates anything.
 *
 * State: per rule, the streak this process has observed; nothing else. An
 * alert is "firing" when its row is active in the database, read every
 * tick. So a restart (empty streaks) starts every sustain window afresh and
 * can neither fire nor resolve anything before a full window has been seen;
 * and since the stats store starts empty, missing stats count as offline
 * only once statsGraceMs has passed since start.
 * A rule that leaves the query (disabled, app stopped) loses its streak;
 * its active alert, if any, is left as it is.
 *
 * `offline` rules of apps stopped while their worker is offline are judged
 * only to finish a streak begun while the app was running, or to keep an
 * active alert firing; they never start one (a stopped app is not down).
 */
export class ThresholdPoller implements Service {
  readonly name = "alert-threshold-poller";
  private readonly loop: Loop<ThresholdTickResult>;
  /** Keyed by ruleKey(app, kind); updated in place (rebuilding it cost most of a tick's judging). */
  private readonly streaks = new Map<number, Tracked>();
  /** Ticks judged by this process; a streak not seen on the previous one is void. */
  private ticks = 0;
  /** Until then (ms), missing stats are pending, not offline. */
  private readonly statsDueAt: number;

  constructor(private readonly opts: ThresholdPollerOptions) {
    this.statsDueAt = (opts.startedAt ?? opts.now()).getTime() + (opts.statsGraceMs ?? STATS_TTL_MS);
    this.loop = new Loop({
      name: this.name,
      intervalMs: opts.intervalMs ?? ALERTS_INTERVAL_MS,
      log: opts.log,
      tick: () => this.runOnce(),
    });
  }

  async runOnce(): Promise<ThresholdTickResult> {
    const now = this.opts.now().getTime();
    const judged = await withTickLock(this.opts.db, ALERTS_LOCK_KEY, async (trx) =>
      this.judge(await listEvaluableRules(trx), now),
    );
    if (!judged) return { evaluated: 0, fired: [], resolved: [], skipped: "locked" };
    const result: ThresholdTickResult = { evaluated: judged.evaluated, fired: [], resolved: [] };
    if (judged.actions.length === 0) return result;
    // Names are read only for the apps that change: the rules query stays numeric.
    const ids = judged.actions.map((a) => a.rule.app_id);
    const apps = new Map<number, EventApp>();
    for (const app of await listAppEventFields(this.opts.db, ids)) apps.set(app.id, app);
    // Decisions touch distinct alerts, so they are applied a few at a time.
    let next = 0;
    const lane = async (): Promise<void> => {
      for (let action = judged.actions[next++]; action; action = judged.actions[next++]) {
        const app = apps.get(action.rule.app_id);
        if (!app) continue; // deleted since: its alerts went with it
        try {
          await this.apply(action, app, result);
        } catch (err) {
          // The streak is kept and the alert row says what happened: the next tick decides again.
          this.opts.log.error(
            { loop: this.name, appId: app.id, kind: action.rule.kind, decision: action.decision, err },
            "applying an alert decision failed",
          );
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(APPLY_CONCURRENCY, judged.actions.length) }, lane));
    result.fired.sort(byRule);
    result.resolved.sort(byRule);
    return result;
  }

  start(): Promise<void> {
    return this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Steps every rule's streak (forgetting those of rules not judged) and returns the decisions. No I/O. */
  private judge(rules: readonly EvaluableRule[], now: number): { evaluated: number; actions: Action[] } {
    const tick = ++this.ticks;
    const actions: Action[] = [];
    let evaluated = 0;
    let kept = 0;
    let readingOf = -1;
    let reading: AppReading | undefined;
    const statsPending = now < this.statsDueAt;
    for (const rule of rules) {
      const key = ruleKey(rule.app_id, rule.kind);
      const tracked = this.streaks.get(key);
      const prev = tracked?.seen === tick - 1 ? tracked.streak : undefined;
      if (!this.isJudgedHere(rule, prev)) continue;
      if (readingOf !== rule.app_id || !reading) {
        // An app's rules usually come together: one stats read for them.
        readingOf = rule.app_id;
        reading = {
          stats: this.opts.stats.appStatsLive(rule.app_id),
          workerOnline: rule.worker_online,
          memoryMb: rule.memory_mb,
          statsPending,
        };
      }
      evaluated++;
      const over = observe(rule.kind, rule.threshold, reading);
      const { streak, decision } = step(prev, over, rule.firing, now, rule.sustain_minutes * 60_000);
      if (streak) {
        kept++;
        if (tracked) {
          tracked.streak = streak;
          tracked.seen = tick;
        } else this.streaks.set(key, { streak, seen: tick });
      }
      if (decision)
        actions.push({
          decision,
          rule,
          value: rule.kind === "offline" ? undefined : metricValue(rule.kind, reading),
        });
    }
    if (this.streaks.size > kept)
      for (const [key, tracked] of this.streaks) if (tracked.seen !== tick) this.streaks.delete(key);
    return { evaluated, actions };
  }

  private isJudgedHere(rule: EvaluableRule, prev: Streak | undefined): boolean {
    if (!rule.app_running && !prev && !rule.firing) return false;
    const holds = this.opts.holdsWorker;
    if (holds && rule.worker_online && rule.worker_id !== null && !holds(rule.worker_id)) return false;
    return true;
  }

  private async apply(action: Action, app: EventApp, result: ThresholdTickResult): Promise<void> {
    const { rule, value } = action;
    const sourceId = ruleAlertSourceId(rule.app_id, rule.kind);
    if (action.decision === "resolve") {
      const resolved = await this.opts.manager.resolveBySource(
        rule.user_id,
        RULE_ALERT_SOURCE_TYPE,
        sourceId,
        app,
      );
      for (const alert of resolved)
        result.resolved.push({ appId: rule.app_id, kind: rule.kind, alertId: alert.id });
      return;
    }
    const metric = rule.kind !== "offline";
    const { alert, created } = await this.opts.manager.emit({
      userId: rule.user_id,
      appId: rule.app_id,
      kind: rule.kind,
      severity: RULE_SEVERITY[rule.kind],
      sourceType: RULE_ALERT_SOURCE_TYPE,
      sourceId,
      title: ruleTitle(rule.kind, app.name),
      message: ruleMessage(rule.kind, value, rule.threshold, rule.sustain_minutes, rule.worker_online),
      value: metric ? (value ?? null) : null,
      threshold: metric ? rule.threshold : null,
      sustainMinutes: rule.sustain_minutes,
      event: { type: FIRED_EVENT[rule.kind], app },
    });
    if (created) result.fired.push({ appId: rule.app_id, kind: rule.kind, alertId: alert.id });
  }
}

function byRule(a: RuleTransition, b: RuleTransition): number {
  return a.appId - b.appId || KIND_INDEX[a.kind] - KIND_INDEX[b.kind];
}

function ruleKey(appId: number, kind: AlertRuleKind): number {
  return appId * 8 + KIND_INDEX[kind];
}
