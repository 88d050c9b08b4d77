import type { Kysely, Transaction } from "kysely";
import { findAppById, markAppFailedIfUndeployed, setAppStatusIfChanged } from "../db/apps.js";
import { endDeploymentReservation, markDeploymentFailed } from "../db/deployments.js";
import { failStuckJobs, type FailedStuckJob } from "../db/jobs.js";
import type { DB } from "../db/schema.js";
import { releaseWorkerCapacity } from "../db/workers.js";
import type { EventDeployment, PlatformEvent, Publisher } from "../events/publisher.js";
import type { Service } from "../lifecycle.js";
import { Loop, type LoopLogger } from "../loop.js";
import { STUCK_JOBS_LOCK_KEY, withTickLock } from "./advisory-lock.js";
import { notifyPlacementChanged } from "./placement-notifier.js";

export const STUCK_JOBS_INTERVAL_MS = 30_000;
/** Jobs failed per tick at most, so one transaction stays short; the rest wait for the next tick. */
export const STUCK_JOBS_BATCH = 100;

export interface StuckJobRecoveryOptions {
  db: Kysely<DB>;
  log: LoopLogger & { warn(obj: object, msg: string): void };
  publisher: Publisher;
  now: () => Date;
  /** `scheduler.stuck_job_timeout_s`: how long a job may stay assigned or processing. */
  timeoutS: number;
  intervalMs?: number;
}

export interface StuckJobResult {
  /** Ids of the jobs failed by this tick, ascending. */
  failed: number[];
}

/**
 * The reference's recoverStuckJobs: a job `assigned` or `processing` for
 * longer than the timeout (from `assigned_at`) is failed, for good (no
 * retry). What it reserved is released exactly as completeJob
 * (src/api/job-completion.ts) releases a failed job: a deploy ends its
 * deployment's reservation, gives the capacity back to the worker, fails
 * the deployment and fails the app only when it has no current deployment
 * (a failed redeploy leaves the previous one serving); a restart fails the
 * app; stop and delete change nothing else. A `job_result` arriving later
 * finds the job finished and is ignored.
 *
 * One replica per tick (advisory lock); everything happens in that tick's
 * transaction and `deployment.failed` events are published after it commits.
 * The apps of failed deploys are NOTIFYed on PLACEMENT_CHANNEL in it.
 */
export class StuckJobRecovery implements Service {
  readonly name = "stuck-job-recovery";
  private readonly loop: Loop<StuckJobResult | undefined>;

  constructor(private readonly opts: StuckJobRecoveryOptions) {
    this.loop = new Loop({
      name: this.name,
      intervalMs: opts.intervalMs ?? STUCK_JOBS_INTERVAL_MS,
      log: opts.log,
      tick: () => this.runOnce(),
    });
  }

  /** One tick. Undefined when another replica held the lock and did the work. */
  async runOnce(): Promise<StuckJobResult | undefined> {
    const now = this.opts.now();
    const cutoff = new Date(now.getTime() - this.opts.timeoutS * 1000);
    const outcome = await withTickLock(this.opts.db, STUCK_JOBS_LOCK_KEY, async (trx) => {
      const jobs = await failStuckJobs(trx, cutoff, this.opts.timeoutS, now, STUCK_JOBS_BATCH);
      const events: PlatformEvent[] = [];
      for (const job of jobs) {
        const event = await releaseFailedJob(trx, job, now);
        if (event) events.push(event);
      }
      // A failed deploy ended its reservation: no replica may go on taking that worker's word for the app.
      await notifyPlacementChanged(
        trx,
        jobs.filter((j) => j.type === "deploy").map((j) => j.app_id),
      );
      return { jobs, events };
    });
    if (!outcome) return undefined;
    for (const job of outcome.jobs)
      this.opts.log.warn(
        { jobId: job.id, jobType: job.type, appId: job.app_id, workerId: job.worker_id },
        "stuck job failed",
      );
    for (const event of outcome.events) this.opts.publisher.publish(event);
    return { failed: outcome.jobs.map((j) => j.id).sort((a, b) => a - b) };
  }

  start(): Promise<void> {
    return this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}

/**
 * completeJob's failure branch for a job that timed out. Returns the event
 * to publish after commit (deploy and restart jobs), if any.
 */
async function releaseFailedJob(
  trx: Transaction<DB>,
  job: FailedStuckJob,
  now: Date,
): Promise<PlatformEvent | undefined> {
  const reason = job.error ?? "job timed out";
  let deployment: EventDeployment | undefined;
  switch (job.type) {
    case "deploy": {
      if (job.deployment_id === null) return undefined;
      const held = await endDeploymentReservation(trx, job.deployment_id, "failed", now);
      if (held?.worker_id != null)
        await releaseWorkerCapacity(trx, held.worker_id, held.cpu_millicores, held.memory_mb);
      deployment = await markDeploymentFailed(trx, job.deployment_id, reason, now);
      await markAppFailedIfUndeployed(trx, job.app_id, now);
      break;
    }
    case "restart":
      await setAppStatusIfChanged(trx, job.app_id, "failed", now);
      break;
    case "stop":
    case "delete":
      return undefined;
  }
  const app = await findAppById(trx, job.app_id);
  if (!app) return undefined;
  return {
    type: "deployment.failed",
    app: { id: app.id, name: app.name, slug: app.slug, user_id: app.user_id },
    ...(deployment ? { deployment } : {}),
    reason,
    time: now,
  };
}
