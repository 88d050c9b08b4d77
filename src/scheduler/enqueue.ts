import type { Kysely } from "kysely";
import type { DB, JobType } from "../db/schema.js";
import { NotFoundError } from "../errors.js";

export interface EnqueueOptions {
  /** For deploy: the deployment to place (its CPU and memory are what the job reserves). */
  deploymentId?: number;
  /** For stop/delete: retire only this deployment's container (spec §5). */
  retireDeploymentId?: number;
  priority?: number;
  runAfter?: Date;
}

/**
 * Enqueues a job for an app (what the user API calls). A deploy needs its
 * deployment and reserves the deployment's resources, in the app's zone if
 * it asks for one; restart, stop and delete go to the worker the app (or the
 * named deployment) is on and reserve nothing. Returns the job id.
 */
export async function enqueueAppJob(
  db: Kysely<DB>,
  appId: number,
  type: JobType,
  opts: EnqueueOptions = {},
): Promise<number> {
  const app = await db
    .selectFrom("apps")
    .select(["id", "zone", "worker_id"])
    .where("id", "=", appId)
    .executeTakeFirst();
  if (!app) throw new NotFoundError(`app ${appId} not found`);
  if (type === "deploy") {
    if (opts.deploymentId === undefined) throw new Error("a deploy job needs its deployment");
    const d = await db
      .selectFrom("deployments")
      .select(["id", "cpu_millicores", "memory_mb"])
      .where("id", "=", opts.deploymentId)
      .where("app_id", "=", appId)
      .executeTakeFirst();
    if (!d) throw new NotFoundError(`deployment ${opts.deploymentId} not found`);
    const job = await db
      .insertInto("jobs")
      .values({
        app_id: appId,
        deployment_id: d.id,
        type,
        priority: opts.priority ?? 0,
        cpu_millicores: d.cpu_millicores,
        memory_mb: d.memory_mb,
        zone: app.zone,
        ...(opts.runAfter ? { run_after: opts.runAfter } : {}),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    return job.id;
  }
  let workerId = app.worker_id;
  if (opts.retireDeploymentId !== undefined) {
    const d = await db
      .selectFrom("deployments")
      .select("worker_id")
      .where("id", "=", opts.retireDeploymentId)
      .where("app_id", "=", appId)
      .executeTakeFirst();
    if (!d) throw new NotFoundError(`deployment ${opts.retireDeploymentId} not found`);
    workerId = d.worker_id;
  }
  const job = await db
    .insertInto("jobs")
    .values({
      app_id: appId,
      deployment_id: opts.retireDeploymentId ?? null,
      type,
      priority: opts.priority ?? 0,
      worker_id: workerId,
      ...(opts.runAfter ? { run_after: opts.runAfter } : {}),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return job.id;
}
