import type { Insertable, Kysely, Selectable } from "kysely";
import type { AppAlertRulesTable, DB } from "./schema.js";

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
