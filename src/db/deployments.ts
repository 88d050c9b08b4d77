import type { Insertable, Kysely, Selectable } from "kysely";
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
