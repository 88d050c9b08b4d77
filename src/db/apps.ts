import type { Insertable, Kysely, Selectable } from "kysely";
import type { AppStatus, AppsTable, DB } from "./schema.js";

export type AppRow = Selectable<AppsTable>;
export type NewApp = Insertable<AppsTable>;

/** Inserts one app. A taken slug fails with 23505; a malformed one with 23514. */
export function insertApp(db: Kysely<DB>, app: NewApp): Promise<AppRow> {
  return db.insertInto("apps").values(app).returningAll().executeTakeFirstOrThrow();
}

export function findAppById(db: Kysely<DB>, id: number): Promise<AppRow | undefined> {
  return db.selectFrom("apps").selectAll().where("id", "=", id).executeTakeFirst();
}

export function findAppBySlug(db: Kysely<DB>, slug: string): Promise<AppRow | undefined> {
  return db.selectFrom("apps").selectAll().where("slug", "=", slug).executeTakeFirst();
}

/** The user's apps, oldest first. */
export function listAppsByUser(db: Kysely<DB>, userId: number): Promise<AppRow[]> {
  return db.selectFrom("apps").selectAll().where("user_id", "=", userId).orderBy("id").execute();
}

/** Deletes the row and, by cascade, its deployments, domains, jobs, rules, alerts and usage. True when deleted. */
export async function deleteApp(db: Kysely<DB>, id: number): Promise<boolean> {
  const result = await db.deleteFrom("apps").where("id", "=", id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export type AppEventFields = Pick<AppRow, "id" | "name" | "slug" | "user_id">;

/**
 * Sets the app's status if it differs, returning the app when it changed
 * (so an event fires once per change, not once per report).
 */
export function setAppStatusIfChanged(
  db: Kysely<DB>,
  appId: number,
  status: AppStatus,
  now: Date,
): Promise<AppEventFields | undefined> {
  return db
    .updateTable("apps")
    .set({ status, updated_at: now })
    .where("id", "=", appId)
    .where("status", "<>", status)
    .returning(["id", "name", "slug", "user_id"])
    .executeTakeFirst();
}

/**
 * Sets the app `failed` when it has no current deployment (a first deploy
 * that failed); an app with one keeps its status, because the previous
 * deployment is still serving. True when it changed.
 */
export async function markAppFailedIfUndeployed(db: Kysely<DB>, appId: number, now: Date): Promise<boolean> {
  const result = await db
    .updateTable("apps")
    .set({ status: "failed", updated_at: now })
    .where("id", "=", appId)
    .where("current_deployment_id", "is", null)
    .where("status", "<>", "failed")
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Stops, in one statement, the apps placed on these workers (they went
 * offline) that were running, deploying, crashed or violated. Returns their
 * ids.
 */
export async function stopAppsOnWorkers(
  db: Kysely<DB>,
  workerIds: readonly number[],
  now: Date,
): Promise<number[]> {
  if (workerIds.length === 0) return [];
  const rows = await db
    .updateTable("apps")
    .set({ status: "stopped", updated_at: now })
    .where("worker_id", "in", workerIds)
    .where("status", "in", ["running", "deploying", "crashed", "violated"])
    .returning("id")
    .execute();
  return rows.map((r) => r.id);
}
