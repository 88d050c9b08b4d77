import { sql, type Insertable, type Kysely, type Selectable } from "kysely";
import type { DB, DeploymentsTable } from "./schema.js";

export type DeploymentRow = Selectable<DeploymentsTable>;
export type NewDeployment = Insertable<DeploymentsTable>;

/** Inserts one deployment. A (worker_id, host_port) pair already taken fails with 23505. */
export function insertDeployment(db: Kysely<DB>, deployment: NewDeployment): Promise<DeploymentRow> {
  return db.insertInto("deployments").values(deployment).returningAll().executeTakeFirstOrThrow();
}

export function findDeploymentById(db: Kysely<DB>, id: number): Promise<DeploymentRow | undefined> {
  return db.selectFrom("deployments").selectAll().where("id", "=", id).executeTakeFirst();
}

/** The app's deployments, newest first, at most `limit`. */
export function listDeploymentsByApp(db: Kysely<DB>, appId: number, limit = 50): Promise<DeploymentRow[]> {
  return db
    .selectFrom("deployments")
    .selectAll()
    .where("app_id", "=", appId)
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
}

/** True when a row was deleted. An app pointing at it as current gets NULL. */
export async function deleteDeployment(db: Kysely<DB>, id: number): Promise<boolean> {
  const result = await db.deleteFrom("deployments").where("id", "=", id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export type ReleasedReservation = Pick<DeploymentRow, "id" | "worker_id" | "cpu_millicores" | "memory_mb">;

/**
 * Ends a deployment's reservation: sets its final status, frees its host
 * port and clears `reserved`. Returns what it held, or undefined when it held
 * nothing (already released), so a release is applied at most once.
 */
export function endDeploymentReservation(
  db: Kysely<DB>,
  deploymentId: number,
  status: "failed" | "stopped" | "superseded",
  now: Date,
): Promise<ReleasedReservation | undefined> {
  return db
    .updateTable("deployments")
    .set({ reserved: false, host_port: null, status, finished_at: now })
    .where("id", "=", deploymentId)
    .where("reserved", "=", true)
    .returning(["id", "worker_id", "cpu_millicores", "memory_mb"])
    .executeTakeFirst();
}

/** Appends to a deployment's build log, keeping it within `cap` (head and tail kept). */
export async function appendBuildLogs(
  db: Kysely<DB>,
  deploymentId: number,
  chunk: string,
  cap: (logs: string) => string,
): Promise<void> {
  const row = await db
    .selectFrom("deployments")
    .select("build_logs")
    .where("id", "=", deploymentId)
    .forUpdate()
    .executeTakeFirst();
  if (!row) return;
  await db
    .updateTable("deployments")
    .set({ build_logs: cap(row.build_logs + chunk) })
    .where("id", "=", deploymentId)
    .execute();
}

/**
 * Marks a deployment failed with `error` (its reservation is ended
 * separately, by endDeploymentReservation). Returns the fields an event
 * names, or undefined when the deployment no longer exists.
 */
export function markDeploymentFailed(
  db: Kysely<DB>,
  deploymentId: number,
  error: string,
  now: Date,
): Promise<Pick<DeploymentRow, "id" | "commit_sha" | "commit_message"> | undefined> {
  return db
    .updateTable("deployments")
    .set((eb) => ({ status: "failed", error, finished_at: eb.fn.coalesce("finished_at", eb.val(now)) }))
    .where("id", "=", deploymentId)
    .returning(["id", "commit_sha", "commit_message"])
    .executeTakeFirst();
}

/**
 * Ends, in one statement, every reservation held on these workers (they
 * went offline): `superseded` deployments stay superseded, the rest become
 * `stopped`; host ports are freed. A deployment whose deploy job is still
 * `assigned` or `processing` is left alone: that job's result (or stuck-job
 * recovery) decides whether it keeps its reservation. Returns what was
 * released, for the caller to give back to the workers; each reservation is
 * returned at most once because `reserved` is cleared.
 */
export async function endReservationsOnWorkers(
  db: Kysely<DB>,
  workerIds: readonly number[],
  now: Date,
): Promise<ReleasedReservation[]> {
  if (workerIds.length === 0) return [];
  return db
    .updateTable("deployments as d")
    .set((eb) => ({
      reserved: false,
      host_port: null,
      finished_at: now,
      status: eb
        .case()
        .when("d.status", "=", "superseded")
        .then("superseded" as const)
        .else("stopped" as const)
        .end(),
    }))
    .where("d.worker_id", "in", workerIds)
    .where("d.reserved", "=", true)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom("jobs")
            .select("jobs.id")
            .whereRef("jobs.deployment_id", "=", "d.id")
            .where("jobs.type", "=", "deploy")
            .where("jobs.status", "in", ["assigned", "processing"]),
        ),
      ),
    )
    .returning(["d.id", "d.worker_id", "d.cpu_millicores", "d.memory_mb"])
    .execute();
}

/** The app's deployments that hold a reservation (newest first), with where they are placed. */
export function listReservedDeployments(
  db: Kysely<DB>,
  appId: number,
): Promise<Pick<DeploymentRow, "id" | "worker_id">[]> {
  return db
    .selectFrom("deployments")
    .select(["id", "worker_id"])
    .where("app_id", "=", appId)
    .where("reserved", "=", true)
    .orderBy("id", "desc")
    .execute();
}

/** What the user API shows of a deployment: its row without the log and env, with app slug and worker name. */
export interface DeploymentView {
  id: number;
  app_id: number;
  app_slug: string;
  status: DeploymentRow["status"];
  source_kind: DeploymentRow["source_kind"];
  image: string;
  commit_sha: string | null;
  commit_message: string | null;
  error: string | null;
  worker_name: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

function selectViews(db: Kysely<DB>) {
  return db
    .selectFrom("deployments as d")
    .innerJoin("apps as a", "a.id", "d.app_id")
    .leftJoin("workers as w", "w.id", "d.worker_id")
    .select([
      "d.id",
      "d.app_id",
      "a.slug as app_slug",
      "d.status",
      "d.source_kind",
      "d.image",
      "d.commit_sha",
      "d.commit_message",
      "d.error",
      "w.name as worker_name",
      "d.created_at",
      "d.started_at",
      "d.finished_at",
    ]);
}

/**
 * The deployment if it belongs to an app of this user (a deleted app's too),
 * else undefined: another user's deployment is indistinguishable from a
 * missing one.
 */
export function findOwnedDeploymentView(
  db: Kysely<DB>,
  userId: number,
  id: number,
): Promise<DeploymentView | undefined> {
  return selectViews(db).where("d.id", "=", id).where("a.user_id", "=", userId).executeTakeFirst();
}

/** The app's deployments as the API shows them, newest first, at most `limit`. */
export function listDeploymentViews(db: Kysely<DB>, appId: number, limit = 50): Promise<DeploymentView[]> {
  return selectViews(db).where("d.app_id", "=", appId).orderBy("d.id", "desc").limit(limit).execute();
}

/** A deployment's build log with its status (undefined when the row is gone). */
export function readBuildLog(
  db: Kysely<DB>,
  id: number,
): Promise<Pick<DeploymentRow, "build_logs" | "status" | "error"> | undefined> {
  return db
    .selectFrom("deployments")
    .select(["build_logs", "status", "error"])
    .where("id", "=", id)
    .executeTakeFirst();
}

/**
 * A cheap fingerprint of a deployment's build log and its status: the log's
 * length in bytes and its last characters. A log that grew (even one capped
 * to a constant length, whose tail moves) changes the fingerprint.
 */
export function buildLogFingerprint(
  db: Kysely<DB>,
  id: number,
): Promise<{ status: DeploymentRow["status"]; bytes: number; tail: string } | undefined> {
  return db
    .selectFrom("deployments")
    .select([
      "status",
      sql<number>`octet_length(build_logs)`.as("bytes"),
      sql<string>`right(build_logs, 64)`.as("tail"),
    ])
    .where("id", "=", id)
    .executeTakeFirst();
}
