import { sql, type Insertable, type Kysely, type Selectable } from "kysely";
import type { AlertRuleKind, AppAlertRulesTable, DB } from "./schema.js";

export type AppAlertRuleRow = Selectable<AppAlertRulesTable>;
export type NewAppAlertRule = Insertable<AppAlertRulesTable>;

/** Inserts one rule. An app has at most one rule per kind: a second fails with 23505. */
export function insertAppAlertRule(db: Kysely<DB>, rule: NewAppAlertRule): Promise<AppAlertRuleRow> {
  return db.insertInto("app_alert_rules").values(rule).returningAll().executeTakeFirstOrThrow();
}

export function findAppAlertRuleById(db: Kysely<DB>, id: number): Promise<AppAlertRuleRow | undefined> {
  return db.selectFrom("app_alert_rules").selectAll().where("id", "=", id).executeTakeFirst();
}

/** The app's rules, ordered by kind. */
export function listAppAlertRulesByApp(db: Kysely<DB>, appId: number): Promise<AppAlertRuleRow[]> {
  return db.selectFrom("app_alert_rules").selectAll().where("app_id", "=", appId).orderBy("kind").execute();
}

/** True when a row was deleted. */
export async function deleteAppAlertRule(db: Kysely<DB>, id: number): Promise<boolean> {
  const result = await db.deleteFrom("app_alert_rules").where("id", "=", id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** `alerts.source_type` of the alerts that app alert rules fire. */
export const RULE_ALERT_SOURCE_TYPE = "app_alert_rule";

/**
 * `alerts.source_id` of the alert that the app's rule of this kind fires:
 * `<app id>:<kind>`, so a rule deleted and created again finds its alert.
 * listEvaluableRules builds the same string in SQL; the two must agree.
 */
export function ruleAlertSourceId(appId: number, kind: AlertRuleKind): string {
  return `${appId}:${kind}`;
}

/** One enabled rule with what its evaluation needs of its app, worker and alert. */
export interface EvaluableRule {
  app_id: number;
  user_id: number;
  /** The app's memory limit, for `memory` when the worker reports no limit. */
  memory_mb: number;
  /** False only for an `offline` rule of an app stopped while its worker is offline. */
  app_running: boolean;
  worker_id: number | null;
  /** The app's worker exists and is online. */
  worker_online: boolean;
  kind: AlertRuleKind;
  threshold: number;
  sustain_minutes: number;
  /** The rule's alert (source RULE_ALERT_SOURCE_TYPE, ruleAlertSourceId) is active now. */
  firing: boolean;
}

/**
 * Every enabled rule of every running app, and also every enabled `offline`
 * rule of a stopped app whose worker is offline (the worker-health monitor
 * stops the apps of a lost worker, which is when `offline` must keep being
 * judged), in no particular order (a sort adds about half to the query on
 * PGlite). One statement, whatever the number of apps: the threshold
 * poller's whole read per tick.
 *
 * The rows come back packed into one text value ("app,user,memory_mb,
 * worker,flags,kind,threshold,sustain" per rule, space-separated; flags: 1
 * app running, 2 worker online, 4 alert active) and are unpacked here. Only
 * numbers and the closed set of kinds are packed, so no escaping is needed.
 * Why: at 30,000 rules PGlite decodes a plain result field by field, which
 * took several times (5-8x in bench/alerts.ts runs) what this costs; on
 * PostgreSQL the packed form is no slower. Names are not packed: the poller
 * reads them (listAppEventFields) only for the apps whose alerts change.
 */
export async function listEvaluableRules(db: Kysely<DB>): Promise<EvaluableRule[]> {
  const { rows } = await sql<{ packed: string }>`
    SELECT coalesce(string_agg(
             r.app_id || ',' || a.user_id || ',' || a.memory_mb || ',' || coalesce(a.worker_id::text, '') || ','
             || ((a.status = 'running')::int
                 + 2 * coalesce(w.status = 'online', false)::int
                 + 4 * EXISTS (
                     SELECT 1 FROM alerts al
                     WHERE al.user_id = a.user_id AND al.source_type = ${RULE_ALERT_SOURCE_TYPE}
                       AND al.source_id = a.id || ':' || r.kind AND al.status = 'active'
                   )::int)
             || ',' || r.kind || ',' || r.threshold || ',' || r.sustain_minutes,
             ' '), '') AS packed
    FROM app_alert_rules r
    JOIN apps a ON a.id = r.app_id
    LEFT JOIN workers w ON w.id = a.worker_id
    WHERE r.enabled
      AND (a.status = 'running' OR (r.kind = 'offline' AND a.status = 'stopped' AND w.status = 'offline'))`.execute(
    db,
  );
  return unpackRules(rows[0]?.packed ?? "");
}

const COMMA = 44;
const SPACE = 32;
const ZERO = 48;
const KINDS: ReadonlyMap<string, AlertRuleKind> = new Map(
  (["cpu", "memory", "network", "disk", "offline"] as const).map((k) => [k, k]),
);

/**
 * Parses listEvaluableRules's packed text in one pass (a split per row and
 * field costs several times more at 30,000 rules). Throws on anything that
 * is not exactly that format.
 */
export function unpackRules(packed: string): EvaluableRule[] {
  const out: EvaluableRule[] = [];
  const n = packed.length;
  let i = 0;
  const fail = (): never => {
    throw new Error(`malformed packed alert rules at offset ${i}: ${packed.slice(i, i + 40)}`);
  };
  const int = (): number => {
    const start = i;
    let v = 0;
    for (let c = packed.charCodeAt(i); c >= ZERO && c <= ZERO + 9; c = packed.charCodeAt(++i))
      v = v * 10 + (c - ZERO);
    if (i === start) fail();
    return v;
  };
  const text = (): string => {
    const start = i;
    for (let c = packed.charCodeAt(i); i < n && c !== COMMA && c !== SPACE; c = packed.charCodeAt(++i));
    return packed.slice(start, i);
  };
  const sep = (code: number): void => {
    if (packed.charCodeAt(i) !== code) fail();
    i++;
  };
  while (i < n) {
    if (out.length > 0) sep(SPACE);
    const app_id = int();
    sep(COMMA);
    const user_id = int();
    sep(COMMA);
    const memory_mb = int();
    sep(COMMA);
    const worker_id = packed.charCodeAt(i) === COMMA ? null : int();
    sep(COMMA);
    const flags = int();
    sep(COMMA);
    const kind = KINDS.get(text()) ?? fail();
    sep(COMMA);
    const thresholdText = text();
    const threshold = Number(thresholdText);
    if (thresholdText === "" || (Number.isNaN(threshold) && thresholdText !== "NaN")) fail();
    sep(COMMA);
    const sustain_minutes = int();
    out.push({
      app_id,
      user_id,
      memory_mb,
      worker_id,
      app_running: (flags & 1) !== 0,
      worker_online: (flags & 2) !== 0,
      firing: (flags & 4) !== 0,
      kind,
      threshold,
      sustain_minutes,
    });
  }
  return out;
}

export interface AlertRuleInput {
  kind: AlertRuleKind;
  threshold: number;
  sustain_minutes: number;
  enabled: boolean;
}

/**
 * Replaces the app's rules with `rules` (at most one per kind) in one
 * transaction and returns them ordered by kind. The app's row is locked
 * first, so two concurrent replacements run one after the other instead of
 * failing on the (app_id, kind) key.
 */
export function replaceAppAlertRules(
  db: Kysely<DB>,
  appId: number,
  rules: readonly AlertRuleInput[],
  now: Date,
): Promise<AppAlertRuleRow[]> {
  return db.transaction().execute(async (trx) => {
    await trx.selectFrom("apps").select("id").where("id", "=", appId).forUpdate().execute();
    await trx.deleteFrom("app_alert_rules").where("app_id", "=", appId).execute();
    if (rules.length === 0) return [];
    const rows = await trx
      .insertInto("app_alert_rules")
      .values(rules.map((r) => ({ ...r, app_id: appId, created_at: now, updated_at: now })))
      .returningAll()
      .execute();
    return rows.sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
  });
}
