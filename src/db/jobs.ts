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

/**
 * `assigned` → `processing` for a job of this worker. Returns the job when it
 * moved; undefined when it is not this worker's or is past `assigned`.
 */
export function markJobProcessing(
  db: Kysely<DB>,
  jobId: number,
  workerId: number,
  now: Date,
): Promise<Pick<JobRow, "id" | "type" | "deployment_id"> | undefined> {
  return db
    .updateTable("jobs")
    .set({ status: "processing", started_at: now, updated_at: now })
    .where("id", "=", jobId)
    .where("worker_id", "=", workerId)
    .where("status", "=", "assigned")
    .returning(["id", "type", "deployment_id"])
    .executeTakeFirst();
}

/** The job if it belongs to this worker, whatever its status. */
export function findJobOfWorker(
  db: Kysely<DB>,
  jobId: number,
  workerId: number,
): Promise<Pick<JobRow, "id" | "status" | "deployment_id"> | undefined> {
  return db
    .selectFrom("jobs")
    .select(["id", "status", "deployment_id"])
    .where("id", "=", jobId)
    .where("worker_id", "=", workerId)
    .executeTakeFirst();
}

/** The worker's oldest job in `assigned` (the next one to send it), if any. */
export async function nextAssignedJob(db: Kysely<DB>, workerId: number): Promise<number | undefined> {
  const row = await db
    .selectFrom("jobs")
    .select("id")
    .where("worker_id", "=", workerId)
    .where("status", "=", "assigned")
    .orderBy("assigned_at")
    .orderBy("id")
    .limit(1)
    .executeTakeFirst();
  return row?.id;
}

/** A job that stuck-job recovery failed, with what releasing it needs. */
export type FailedStuckJob = Pick<JobRow, "id" | "app_id" | "deployment_id" | "type" | "worker_id" | "error">;

/**
 * Fails, in one statement, up to `limit` jobs (oldest id first) that have
 * been `assigned` or `processing` since before `cutoff`; age is measured from
 * `assigned_at`, or `updated_at` when that is unset. The error names the
 * timeout and the worker. Rows another transaction holds are skipped, not
 * waited for (FOR UPDATE SKIP LOCKED), so a job whose result is being
 * applied right now is left to that result. The caller releases what the
 * returned jobs reserved, in the same transaction.
 */
export function failStuckJobs(
  db: Kysely<DB>,
  cutoff: Date,
  timeoutS: number,
  now: Date,
  limit: number,
): Promise<FailedStuckJob[]> {
  return db
    .with("stuck", (qb) =>
      qb
        .selectFrom("jobs")
        .select("id")
        .where("status", "in", ["assigned", "processing"])
        .where((eb) => eb(eb.fn.coalesce("assigned_at", "updated_at"), "<", cutoff))
        .orderBy("id")
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .updateTable("jobs as j")
    .from("stuck")
    .set((eb) => ({
      status: "failed",
      error: eb.fn<string>("concat", [
        eb.cast(eb.val(`job timed out after ${timeoutS} s without a result from worker `), "text"),
        eb.fn.coalesce(
          eb.selectFrom("workers").select("workers.name").whereRef("workers.id", "=", "j.worker_id"),
          eb.val("(deleted)"),
        ),
      ]),
      finished_at: now,
      updated_at: now,
    }))
    .whereRef("j.id", "=", "stuck.id")
    .returning(["j.id", "j.app_id", "j.deployment_id", "j.type", "j.worker_id", "j.error"])
    .execute();
}

/**
 * Locks the app's unfinished jobs (pending, assigned, processing) until the
 * transaction ends and returns them as they are after any placement in
 * flight has committed (a placement holds them locked while it runs).
 */
export function lockOpenJobsOfApp(
  db: Kysely<DB>,
  appId: number,
): Promise<Pick<JobRow, "id" | "type" | "status" | "worker_id" | "deployment_id">[]> {
  return db
    .selectFrom("jobs")
    .select(["id", "type", "status", "worker_id", "deployment_id"])
    .where("app_id", "=", appId)
    .where("status", "in", ["pending", "assigned", "processing"])
    .orderBy("id")
    .forUpdate()
    .execute();
}

/** Fails, in one statement, the app's jobs still pending (never placed), with `error`. Returns their ids. */
export async function cancelPendingJobsOfApp(
  db: Kysely<DB>,
  appId: number,
  error: string,
  now: Date,
): Promise<number[]> {
  const rows = await db
    .updateTable("jobs")
    .set({ status: "failed", error, finished_at: now, updated_at: now })
    .where("app_id", "=", appId)
    .where("status", "=", "pending")
    .returning("id")
    .execute();
  return rows.map((r) => r.id);
}
