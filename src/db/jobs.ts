import type { Insertable, Kysely, Selectable } from "kysely";
import type { DB, JobsTable } from "./schema.js";

export type JobRow = Selectable<JobsTable>;
export type NewJob = Insertable<JobsTable>;

export function insertJob(db: Kysely<DB>, job: NewJob): Promise<JobRow> {
  return db.insertInto("jobs").values(job).returningAll().executeTakeFirstOrThrow();
}

export function findJobById(db: Kysely<DB>, id: number): Promise<JobRow | undefined> {
  return db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirst();
}

/** The app's jobs, newest first, at most `limit`. */
export function listJobsByApp(db: Kysely<DB>, appId: number, limit = 50): Promise<JobRow[]> {
  return db
    .selectFrom("jobs")
    .selectAll()
    .where("app_id", "=", appId)
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
}

/** True when a row was deleted. */
export async function deleteJob(db: Kysely<DB>, id: number): Promise<boolean> {
  const result = await db.deleteFrom("jobs").where("id", "=", id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
