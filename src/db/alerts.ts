import type { Insertable, Kysely, Selectable } from "kysely";
import type { AlertsTable, DB } from "./schema.js";

export type AlertRow = Selectable<AlertsTable>;
export type NewAlert = Insertable<AlertsTable>;

/**
 * Inserts one alert. A second active alert for the same (user_id,
 * source_type, source_id) fails with 23505; status 'resolved' requires
 * resolved_at and 'active' forbids it (23514).
 */
export function insertAlert(db: Kysely<DB>, alert: NewAlert): Promise<AlertRow> {
  return db.insertInto("alerts").values(alert).returningAll().executeTakeFirstOrThrow();
}

export function findAlertById(db: Kysely<DB>, id: number): Promise<AlertRow | undefined> {
  return db.selectFrom("alerts").selectAll().where("id", "=", id).executeTakeFirst();
}

/** The one active alert of the user for this source, if any. */
export function findActiveAlert(
  db: Kysely<DB>,
  userId: number,
  sourceType: string,
  sourceId: string,
): Promise<AlertRow | undefined> {
  return db
    .selectFrom("alerts")
    .selectAll()
    .where("user_id", "=", userId)
    .where("source_type", "=", sourceType)
    .where("source_id", "=", sourceId)
    .where("status", "=", "active")
    .executeTakeFirst();
}

/** The user's alerts, newest first, at most `limit`. */
export function listAlertsByUser(db: Kysely<DB>, userId: number, limit = 100): Promise<AlertRow[]> {
  return db
    .selectFrom("alerts")
    .selectAll()
    .where("user_id", "=", userId)
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
}

/** True when a row was deleted. */
export async function deleteAlert(db: Kysely<DB>, id: number): Promise<boolean> {
  const result = await db.deleteFrom("alerts").where("id", "=", id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
