import { sql, type Insertable, type Kysely, type Selectable, type Updateable } from "kysely";
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

export interface AppOwner {
  id: number;
  user_id: number;
}

/** Every running app with its owner, by id (the usage recorder's sampling set). */
export function listRunningAppOwners(db: Kysely<DB>): Promise<AppOwner[]> {
  return db
    .selectFrom("apps")
    .select(["id", "user_id"])
    .where("status", "=", "running")
    .orderBy("id")
    .execute();
}

/**
 * The ids among `ids` whose app still exists, ascending, each row locked FOR
 * KEY SHARE until the caller's transaction ends: a concurrent delete of one
 * of them waits for the commit, so rows this transaction inserts that
 * reference them pass their foreign key. Status updates are not blocked. The
 * ids travel as one array parameter, so any number fits.
 */
export async function lockExistingAppIds(db: Kysely<DB>, ids: readonly number[]): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom("apps")
    .select("id")
    .where((eb) => eb("id", "=", eb.fn.any(eb.val([...ids]))))
    .orderBy("id")
    .forKeyShare()
    .execute();
  return rows.map((r) => r.id);
}

/** A running app the Traefik proxy routes over WireGuard (worker protocol §6). */
export interface ProxyRouteRow {
  app_id: number;
  slug: string;
  wireguard_ip: string;
  host_port: number;
}

/**
 * Every running app whose current deployment has a host port on a worker with
 * a WireGuard address, in one statement (apps ⋈ deployments ⋈ workers).
 * Unordered: the renderer sorts.
 */
export function listProxyRoutes(db: Kysely<DB>): Promise<ProxyRouteRow[]> {
  return db
    .selectFrom("apps as a")
    .innerJoin("deployments as d", "d.id", "a.current_deployment_id")
    .innerJoin("workers as w", "w.id", "d.worker_id")
    .select(["a.id as app_id", "a.slug", "w.wireguard_ip", "d.host_port"])
    .where("a.status", "=", "running")
    .where("d.host_port", "is not", null)
    .where("w.wireguard_ip", "is not", null)
    .where("w.wireguard_ip", "<>", "")
    .$narrowType<{ wireguard_ip: string; host_port: number }>()
    .execute();
}

/** A running app on one worker, for that worker's own Traefik (worker protocol §6). */
export interface WorkerRouteRow {
  app_id: number;
  slug: string;
  /** The current deployment's sealed env (AAD `app-env:<app id>`), for its PORT. */
  env_enc: string | null;
}

/**
 * The running apps whose current deployment is on `workerId` and that have
 * at least one verified custom domain, in one statement. Unordered.
 */
export function listWorkerRoutes(db: Kysely<DB>, workerId: number): Promise<WorkerRouteRow[]> {
  return db
    .selectFrom("apps as a")
    .innerJoin("deployments as d", "d.id", "a.current_deployment_id")
    .select(["a.id as app_id", "a.slug", "d.env_enc"])
    .where("a.status", "=", "running")
    .where("d.worker_id", "=", workerId)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom("custom_domains as cd")
          .select("cd.id")
          .whereRef("cd.app_id", "=", "a.id")
          .where("cd.verified_at", "is not", null),
      ),
    )
    .execute();
}

/**
 * The event fields (id, name, slug, owner) of the apps among `ids` that
 * exist, ascending. The ids travel as one array parameter, so any number fits.
 */
export function listAppEventFields(db: Kysely<DB>, ids: readonly number[]): Promise<AppEventFields[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .selectFrom("apps")
    .select(["id", "name", "slug", "user_id"])
    .where((eb) => eb("id", "=", eb.fn.any(eb.val([...ids]))))
    .orderBy("id")
    .execute();
}

/** An app with the name of the worker it is placed on (the user API's view). */
export type AppWithWorker = AppRow & { worker_name: string | null };

/** The user's apps that are not deleted, oldest first, with their worker's name, in one statement. */
export function listAppsWithWorkerByUser(db: Kysely<DB>, userId: number): Promise<AppWithWorker[]> {
  return db
    .selectFrom("apps as a")
    .leftJoin("workers as w", "w.id", "a.worker_id")
    .selectAll("a")
    .select("w.name as worker_name")
    .where("a.user_id", "=", userId)
    .where("a.status", "<>", "deleted")
    .orderBy("a.id")
    .execute();
}

/** The ids and slugs of the user's apps that are not deleted, oldest first (the live stats of a list). */
export function listAppSlugsByUser(db: Kysely<DB>, userId: number): Promise<{ id: number; slug: string }[]> {
  return db
    .selectFrom("apps")
    .select(["id", "slug"])
    .where("user_id", "=", userId)
    .where("status", "<>", "deleted")
    .orderBy("id")
    .execute();
}

/** One app with its worker's name (the caller has already checked ownership). */
export function findAppWithWorker(db: Kysely<DB>, appId: number): Promise<AppWithWorker | undefined> {
  return db
    .selectFrom("apps as a")
    .leftJoin("workers as w", "w.id", "a.worker_id")
    .selectAll("a")
    .select("w.name as worker_name")
    .where("a.id", "=", appId)
    .executeTakeFirst();
}

/** What a user's apps reserve of their plan. */
export interface PlanUsage {
  apps: number;
  cpu_millicores: number;
  memory_mb: number;
}

/**
 * Sums, in one statement, what the user's apps reserve of their plan: apps
 * deleting or deleted no longer count; `exceptAppId` leaves one app out (the
 * one being resized).
 */
export function sumPlanUsage(db: Kysely<DB>, userId: number, exceptAppId?: number): Promise<PlanUsage> {
  let q = db
    .selectFrom("apps")
    .select([
      sql<number>`count(*)::int`.as("apps"),
      sql<number>`coalesce(sum(cpu_millicores), 0)::int`.as("cpu_millicores"),
      sql<number>`coalesce(sum(memory_mb), 0)::int`.as("memory_mb"),
    ])
    .where("user_id", "=", userId)
    .where("status", "not in", ["deleting", "deleted"]);
  if (exceptAppId !== undefined) q = q.where("id", "<>", exceptAppId);
  return q.executeTakeFirstOrThrow();
}

/**
 * Locks the owner's users row until the transaction ends, so that two
 * concurrent creations or resizes by one user check their plan one after
 * the other (the check and the write are then atomic per user).
 */
export async function lockAppOwner(db: Kysely<DB>, userId: number): Promise<void> {
  await db.selectFrom("users").select("id").where("id", "=", userId).forUpdate().execute();
}

/** The app row, locked FOR UPDATE until the transaction ends. */
export function lockApp(db: Kysely<DB>, appId: number): Promise<AppRow | undefined> {
  return db.selectFrom("apps").selectAll().where("id", "=", appId).forUpdate().executeTakeFirst();
}

/** Updates the app's fields (and updated_at) and returns the row. */
export function updateApp(
  db: Kysely<DB>,
  appId: number,
  values: Updateable<AppsTable>,
  now: Date,
): Promise<AppRow> {
  return db
    .updateTable("apps")
    .set({ ...values, updated_at: now })
    .where("id", "=", appId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** How many apps are in each status (deleted ones excluded), for the admin's fleet stats. */
export async function countAppsByStatus(db: Kysely<DB>): Promise<Partial<Record<AppStatus, number>>> {
  const rows = await db
    .selectFrom("apps")
    .select(["status", sql<number>`count(*)::int`.as("n")])
    .where("status", "<>", "deleted")
    .groupBy("status")
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}
