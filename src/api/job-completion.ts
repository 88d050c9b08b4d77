import type { Kysely, Transaction } from "kysely";
import { appendBuildLogs, endDeploymentReservation } from "../db/deployments.js";
import type { AppStatus, DB, JobStatus } from "../db/schema.js";
import { releaseWorkerCapacity } from "../db/workers.js";
import { notifyPlacementChanged } from "../scheduler/placement-notifier.js";
import {
  publishWithin,
  type EventApp,
  type EventDeployment,
  type EventType,
  type Publisher,
} from "../events/publisher.js";
import { capLogs, MAX_BUILD_LOG_BYTES, stripANSIMultiline } from "./log-sanitize.js";

/** The previous deployment of a start-first redeploy keeps serving this long (> Traefik's 5 s poll). */
export const REDEPLOY_DRAIN_MS = 10_000;

export interface JobResultInput {
  workerId: number;
  jobId: number;
  success: boolean;
  error: string | null;
  logs: string;
  containerId: string | null;
}

export type JobCompletion =
  | { kind: "not_found" }
  | { kind: "ignored"; status: JobStatus }
  | {
      kind: "completed";
      /** The job's app: its placement or reservations may have changed. */
      appId: number;
      jobType: "deploy" | "restart" | "stop" | "delete";
      success: boolean;
      /** The event of a deploy or restart job, already written to the outbox when a publisher was given. */
      event: { type: EventType; app: EventApp; deployment?: EventDeployment; reason?: string } | undefined;
      /** Run after commit: wakes the outbox, or publishes when the publisher has no outbox. */
      afterCommit: () => void;
    };

const capBuildLogs = (s: string): string => capLogs(s, MAX_BUILD_LOG_BYTES);

/**
 * Applies a `job_result` in one transaction (spec §5): the job, its
 * deployment, the app's status and the worker's capacity change together or
 * not at all. A job that is not this worker's is `not_found`; a job that is
 * already finished (a late or duplicate result, or one that stuck-job
 * recovery failed) is `ignored` and nothing changes.
 *
 * Capacity: a successful deploy keeps its reservation as the app's placement
 * and retires the previous deployment through a `stop` job carrying its
 * deployment_id, due after REDEPLOY_DRAIN_MS; a failed deploy releases what
 * it reserved; stop and delete release the reservations they end.
 *
 * A completed job NOTIFYs PLACEMENT_CHANNEL with its app's id in the same
 * transaction, so every replica's ownership answers about the app are
 * dropped once it commits.
 */
export async function completeJob(
  db: Kysely<DB>,
  input: JobResultInput,
  now: Date,
  publisher?: Publisher,
): Promise<JobCompletion> {
  return db.transaction().execute(async (trx) => {
    const result = await completeJobTx(trx, input, now);
    if (result.kind !== "completed") return result;
    // Every replica forgets which worker the app is on once this commits.
    await notifyPlacementChanged(trx, [result.appId]);
    if (!result.event || !publisher) return result;
    // The event goes into the outbox in this transaction: a crash after commit loses nothing.
    const afterCommit = await publishWithin(publisher, trx, { ...result.event, time: now });
    return { ...result, afterCommit };
  });
}

async function completeJobTx(trx: Transaction<DB>, input: JobResultInput, now: Date): Promise<JobCompletion> {
  const job = await trx
    .selectFrom("jobs")
    .selectAll()
    .where("id", "=", input.jobId)
    .where("worker_id", "=", input.workerId)
    .forUpdate()
    .executeTakeFirst();
  if (!job) return { kind: "not_found" };
  if (job.status !== "assigned" && job.status !== "processing")
    return { kind: "ignored", status: job.status };

  await trx
    .updateTable("jobs")
    .set({
      status: input.success ? "completed" : "failed",
      error: input.success ? null : (input.error ?? "the worker reported a failure without a reason"),
      container_id: input.containerId,
      finished_at: now,
      updated_at: now,
    })
    .where("id", "=", job.id)
    .execute();

  const app = await trx
    .selectFrom("apps")
    .select(["id", "name", "slug", "user_id", "status", "current_deployment_id", "worker_id"])
    .where("id", "=", job.app_id)
    .forUpdate()
    .executeTakeFirstOrThrow();
  const eventApp: EventApp = { id: app.id, name: app.name, slug: app.slug, user_id: app.user_id };
  const setApp = (values: {
    status?: AppStatus;
    worker_id?: number | null;
    current_deployment_id?: number | null;
  }) =>
    trx
      .updateTable("apps")
      .set({ ...values, updated_at: now })
      .where("id", "=", app.id)
      .execute();
  const release = async (deploymentId: number, status: "failed" | "stopped" | "superseded") => {
    const held = await endDeploymentReservation(trx, deploymentId, status, now);
    if (held?.worker_id != null)
      await releaseWorkerCapacity(trx, held.worker_id, held.cpu_millicores, held.memory_mb);
  };

  switch (job.type) {
    case "deploy": {
      if (job.deployment_id === null) break;
      if (input.logs)
        await appendBuildLogs(trx, job.deployment_id, stripANSIMultiline(input.logs), capBuildLogs);
      const deployment = await trx
        .selectFrom("deployments")
        .select(["id", "commit_sha", "commit_message"])
        .where("id", "=", job.deployment_id)
        .executeTakeFirstOrThrow();
      if (input.success) {
        await trx
          .updateTable("deployments")
          .set({ status: "running", container_id: input.containerId, error: null, finished_at: now })
          .where("id", "=", deployment.id)
          .execute();
        const previous = app.current_deployment_id;
        await setApp({ status: "running", worker_id: input.workerId, current_deployment_id: deployment.id });
        if (previous !== null && previous !== deployment.id)
          await retireLater(trx, previous, job.priority, now);
      } else {
        await trx
          .updateTable("deployments")
          .set({ error: input.error ?? "deploy failed" })
          .where("id", "=", deployment.id)
          .execute();
        await release(deployment.id, "failed");
        // A failed redeploy leaves the previous deployment serving.
        if (app.current_deployment_id === null) await setApp({ status: "failed" });
      }
      return {
        kind: "completed",
        appId: app.id,
        afterCommit: noop,
        jobType: "deploy",
        success: input.success,
        event: {
          type: input.success ? "deployment.succeeded" : "deployment.failed",
          app: eventApp,
          deployment,
          ...(input.success ? {} : { reason: input.error ?? "deploy failed" }),
        },
      };
    }
    case "restart": {
      await setApp({ status: input.success ? "running" : "failed" });
      return {
        kind: "completed",
        appId: app.id,
        afterCommit: noop,
        jobType: "restart",
        success: input.success,
        event: {
          type: input.success ? "deployment.succeeded" : "deployment.failed",
          app: eventApp,
          ...(input.success ? {} : { reason: input.error ?? "restart failed" }),
        },
      };
    }
    case "stop":
    case "delete": {
      if (!input.success) break;
      if (job.deployment_id !== null && job.type === "stop") {
        await release(
          job.deployment_id,
          app.current_deployment_id === job.deployment_id ? "stopped" : "superseded",
        );
        if (app.current_deployment_id === job.deployment_id) await setApp({ status: "stopped" });
        break;
      }
      const live = await trx
        .selectFrom("deployments")
        .select("id")
        .where("app_id", "=", app.id)
        .where("worker_id", "=", input.workerId)
        .where("reserved", "=", true)
        .execute();
      for (const d of live) await release(d.id, "stopped");
      await setApp(job.type === "delete" ? { status: "deleted", worker_id: null } : { status: "stopped" });
      break;
    }
  }
  return {
    kind: "completed",
    appId: app.id,
    jobType: job.type,
    success: input.success,
    event: undefined,
    afterCommit: noop,
  };
}

const noop = (): void => undefined;

/** Enqueues a `stop` of one superseded deployment on its worker, due after the drain. */
async function retireLater(
  trx: Transaction<DB>,
  deploymentId: number,
  priority: number,
  now: Date,
): Promise<void> {
  const old = await trx
    .selectFrom("deployments")
    .select(["id", "app_id", "worker_id", "reserved"])
    .where("id", "=", deploymentId)
    .executeTakeFirst();
  if (!old?.reserved || old.worker_id === null) return;
  await trx.updateTable("deployments").set({ status: "superseded" }).where("id", "=", old.id).execute();
  await trx
    .insertInto("jobs")
    .values({
      app_id: old.app_id,
      deployment_id: old.id,
      type: "stop",
      priority,
      worker_id: old.worker_id,
      run_after: new Date(now.getTime() + REDEPLOY_DRAIN_MS),
    })
    .execute();
}
