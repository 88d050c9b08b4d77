import { stat } from "node:fs/promises";
import { z } from "zod";
import { internalPort } from "../../api/job-message.js";
import { deleteApp, lockApp, updateApp, type AppRow } from "../../db/apps.js";
import { findDeploymentById, insertDeployment, listReservedDeployments } from "../../db/deployments.js";
import { cancelPendingJobsOfApp, lockOpenJobsOfApp } from "../../db/jobs.js";
import { ConflictError, NotFoundError } from "../../errors.js";
import { enqueueAppJob } from "../../scheduler/enqueue.js";
import { openEnv } from "../app-env.js";
import type { UserApiDeps } from "../deps.js";
import { findOwnedApp } from "../owned.js";
import { defineRoute, type UserRoute } from "../route.js";
import { slugParams } from "../schemas.js";
import { appDto, appSchema, assertNotDeleting, type AppDto } from "./app-dto.js";

const jobResponse = z.object({ job_id: z.number().int() });

function notRunning(app: Pick<AppRow, "slug" | "status">, what: string): ConflictError {
  return new ConflictError("app_not_running", `app ${app.slug} is ${app.status}: ${what}`);
}

/**
 * Delete, restart, stop and start. Each runs in one transaction that locks
 * the app row first, re-checks its state and enqueues its job, so two
 * concurrent requests cannot both act on the same state. Job results
 * (src/api/job-completion.ts) move the app to its next status.
 */
export function appActionRoutes(
  deps: UserApiDeps,
  view: (appId: number) => Promise<{ app: AppDto }>,
): UserRoute[] {
  const { db, secretBox } = deps;

  /** Runs `work` on the caller's app, locked, inside one transaction. */
  const withLockedApp = async <T>(
    userId: number,
    slug: string,
    work: (app: AppRow, trx: typeof db) => Promise<T>,
  ) => {
    const owned = await findOwnedApp(db, userId, slug);
    return db.transaction().execute(async (trx) => {
      const app = await lockApp(trx, owned.id);
      if (!app || app.status === "deleted") throw new NotFoundError(`app ${slug} not found`);
      return work(app, trx);
    });
  };

  return [
    defineRoute({
      method: "DELETE",
      url: "/apps/:slug",
      access: "user",
      summary: "Delete an app: at once when it was never placed, else through a delete job (status deleting)",
      tags: ["apps"],
      status: 202,
      schema: { params: slugParams, response: { 202: z.object({ app: appSchema }) } },
      handler: async ({ principal, params }) => {
        const now = deps.now();
        const outcome = await withLockedApp(principal.user.id, params.slug, async (app, trx) => {
          if (app.status === "deleting") return { app, gone: false };
          // Locking the open jobs waits out a placement in flight, so the reservations read next are final.
          await lockOpenJobsOfApp(trx, app.id);
          await cancelPendingJobsOfApp(trx, app.id, "cancelled: the app is being deleted", now);
          const reserved = await listReservedDeployments(trx, app.id);
          // One delete job per worker holding something of the app (its placement, or a deploy in flight).
          const targets = new Map<number, number | undefined>();
          if (app.worker_id !== null) targets.set(app.worker_id, undefined);
          for (const d of reserved) {
            if (d.worker_id !== null && !targets.has(d.worker_id)) targets.set(d.worker_id, d.id);
          }
          if (targets.size === 0) {
            // Never placed (or its worker is gone): nothing runs anywhere, the row goes now.
            await deleteApp(trx, app.id);
            return { app: { ...app, status: "deleted" as const, updated_at: now }, gone: true };
          }
          for (const retire of targets.values()) {
            await enqueueAppJob(
              trx,
              app.id,
              "delete",
              retire === undefined ? {} : { retireDeploymentId: retire },
            );
          }
          return { app: await updateApp(trx, app.id, { status: "deleting" }, now), gone: false };
        });
        // A deleting app is no longer routed by the proxy.
        deps.onRoutesChanged();
        if (outcome.gone) {
          const row = { ...outcome.app, worker_id: null, worker_name: null, current_deployment_id: null };
          return { app: appDto(row, deps.config.proxy.base_domain) };
        }
        return view(outcome.app.id);
      },
    }),
    defineRoute({
      method: "POST",
      url: "/apps/:slug/restart",
      access: "user",
      summary: "Restart the app's container where it runs",
      tags: ["apps"],
      status: 202,
      schema: { params: slugParams, response: { 202: jobResponse } },
      handler: async ({ principal, params }) => {
        const jobId = await withLockedApp(principal.user.id, params.slug, async (app, trx) => {
          if (app.worker_id === null || (app.status !== "running" && app.status !== "crashed")) {
            throw notRunning(app, "only a running or crashed app can be restarted");
          }
          return enqueueAppJob(trx, app.id, "restart");
        });
        return { job_id: jobId };
      },
    }),
    defineRoute({
      method: "POST",
      url: "/apps/:slug/stop",
      access: "user",
      summary: "Stop the app's container; it keeps its current deployment for a later start",
      tags: ["apps"],
      status: 202,
      schema: { params: slugParams, response: { 202: jobResponse } },
      handler: async ({ principal, params }) => {
        const jobId = await withLockedApp(principal.user.id, params.slug, async (app, trx) => {
          assertNotDeleting(app);
          if (app.worker_id === null || app.status === "stopped" || app.status === "created") {
            throw notRunning(app, "there is nothing to stop");
          }
          return enqueueAppJob(trx, app.id, "stop");
        });
        return { job_id: jobId };
      },
    }),
    defineRoute({
      method: "POST",
      url: "/apps/:slug/start",
      access: "user",
      summary:
        "Start a stopped, failed or crashed app: a new deployment of its current one, with its current env",
      tags: ["apps"],
      status: 202,
      schema: { params: slugParams, response: { 202: jobResponse } },
      handler: async ({ principal, params }) => {
        const jobId = await withLockedApp(principal.user.id, params.slug, async (app, trx) => {
          assertNotDeleting(app);
          const startable = app.status === "stopped" || app.status === "failed" || app.status === "crashed";
          if (!startable || app.current_deployment_id === null) {
            throw new ConflictError(
              "conflict",
              app.current_deployment_id === null
                ? `app ${app.slug} has never run: deploy it first`
                : `app ${app.slug} is ${app.status}: only a stopped, failed or crashed app can be started`,
            );
          }
          const open = await lockOpenJobsOfApp(trx, app.id);
          if (open.some((j) => j.type === "deploy")) {
            throw new ConflictError("conflict", `app ${app.slug} has a deployment in progress`);
          }
          const current = await findDeploymentById(trx, app.current_deployment_id);
          if (!current) throw new ConflictError("conflict", `app ${app.slug} has no deployment to start`);
          if (current.source_kind === "archive") {
            const kept = current.archive_path
              ? await stat(current.archive_path).catch(() => undefined)
              : undefined;
            if (!kept?.isFile()) {
              throw new ConflictError(
                "conflict",
                `the build context of deployment ${current.id} is gone: deploy again`,
              );
            }
          }
          // The app's env and resources now (they may have changed since), the current code.
          const deployment = await insertDeployment(trx, {
            app_id: app.id,
            source_kind: current.source_kind,
            image: current.image,
            archive_path: current.archive_path,
            commit_sha: current.commit_sha,
            commit_message: current.commit_message,
            env_enc: app.env_enc,
            cpu_millicores: app.cpu_millicores,
            memory_mb: app.memory_mb,
            internal_port: internalPort(openEnv(secretBox, app.id, app.env_enc)),
          });
          return enqueueAppJob(trx, app.id, "deploy", { deploymentId: deployment.id });
        });
        return { job_id: jobId };
      },
    }),
  ];
}
