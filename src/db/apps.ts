import type { Insertable, Kysely, Selectable } from "kysely";
import type { AppsTable, DB } from "./schema.js";

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
