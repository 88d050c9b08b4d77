import { sql, type Insertable, type Kysely, type Selectable } from "kysely";
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

/**
 * Inserts `alert` as its source's active alert unless the source already has
 * one, in one statement: ON CONFLICT on the partial unique index
 * alerts_one_active_per_source. Race-free across connections: of two
 * concurrent callers only one inserts; the other waits for it to commit and
 * then inserts nothing. Returns the inserted row, or undefined when an active
 * alert already existed (find it with findActiveAlert). The row is always
 * inserted `active`, whatever `alert.status` says.
 */
export function insertAlertUnlessActive(db: Kysely<DB>, alert: NewAlert): Promise<AlertRow | undefined> {
  return db
    .insertInto("alerts")
    .values({ ...alert, status: "active", resolved_at: null })
    .onConflict((oc) =>
      // A literal, not a parameter: under a generic plan a parameter cannot prove the index's
      // predicate and Postgres fails with "no unique or exclusion constraint matching".
      oc.columns(["user_id", "source_type", "source_id"]).where("status", "=", sql.lit("active")).doNothing(),
    )
    .returningAll()
    .executeTakeFirst();
}

/**
 * Resolves the source's active alert (at most one, by the index), stamping
 * resolved_at = now, and returns what it resolved. A concurrent second call
 * waits on the row lock, then finds it no longer active and returns [], so an
 * alert is resolved (and reported) once.
 */
export function resolveActiveAlertsBySource(
  db: Kysely<DB>,
  userId: number,
  sourceType: string,
  sourceId: string,
  now: Date,
): Promise<AlertRow[]> {
  return db
    .updateTable("alerts")
    .set({ status: "resolved", resolved_at: now })
    .where("user_id", "=", userId)
    .where("source_type", "=", sourceType)
    .where("source_id", "=", sourceId)
    .where("status", "=", "active")
    .returningAll()
    .execute();
}

/** An alert with the slug of its app (null for alerts about no app). */
export type AlertWithApp = AlertRow & { app_slug: string | null };

/**
 * The user's alerts, optionally of one status and of one app, newest first,
 * at most `limit`, with their app's slug.
 */
export function listAlertsWithAppByUser(
  db: Kysely<DB>,
  userId: number,
  opts: { status?: "active" | "resolved"; appId?: number; limit: number },
): Promise<AlertWithApp[]> {
  let query = db
    .selectFrom("alerts as al")
    .leftJoin("apps as a", "a.id", "al.app_id")
    .selectAll("al")
    .select("a.slug as app_slug")
    .where("al.user_id", "=", userId);
  if (opts.status) query = query.where("al.status", "=", opts.status);
  if (opts.appId !== undefined) query = query.where("al.app_id", "=", opts.appId);
  return query.orderBy("al.created_at", "desc").orderBy("al.id", "desc").limit(opts.limit).execute();
}
