import type { Kysely } from "kysely";
import type { DB } from "../db/schema.js";
import type { Service } from "../lifecycle.js";
import { Loop } from "../loop.js";
import { notifyJobsAssigned } from "./job-notifier.js";
import { loadOnlineWorkers, PLACEMENT_BATCH, placePendingJobs, type Assignment } from "./placement.js";
import { pickWorker, type Need, type WorkerCapacity } from "./scoring.js";
import { withTxRetry } from "./tx-retry.js";

export interface SchedulerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface SchedulerOptions {
  db: Kysely<DB>;
  log: SchedulerLogger;
  now?: () => Date;
  /** `scheduler.interval_ms`. */
  intervalMs: number;
  batch?: number;
  /** Send NOTIFY wisehosting_jobs for the workers that got jobs (default true). */
  notify?: boolean;
}

export interface TickResult {
  assigned: Assignment[];
  failed: number[];
}

/**
 * The job scheduler (the reference's Scheduler): every interval it places
 * pending jobs, batch after batch, until a batch places nothing. Each batch
 * is one transaction, retried whole on serialization failure or deadlock.
 * Only after a batch commits are the job-assigned callbacks called (the
 * hub's PushJob); the NOTIFY sent inside the transaction reaches the other
 * replicas on commit. Failed jobs stay failed: there is no retry of a job.
 */
export class Scheduler implements Service {
  readonly name = "scheduler";
  private readonly loop: Loop<TickResult>;
  private readonly now: () => Date;
  private onJobAssigned: ((workerId: number, jobId: number) => void) | undefined;

  constructor(private readonly opts: SchedulerOptions) {
    this.now = opts.now ?? (() => new Date());
    this.loop = new Loop({
      name: this.name,
      intervalMs: opts.intervalMs,
      log: opts.log,
      tick: () => this.runOnce(),
    });
  }

  /** Used by main to wire hub.PushJob. */
  setJobAssignedCallback(fn: (workerId: number, jobId: number) => void): void {
    this.onJobAssigned = fn;
  }

  /** Places everything that can be placed now; returns what it did. */
  async runOnce(): Promise<TickResult> {
    const total: TickResult = { assigned: [], failed: [] };
    const batch = this.opts.batch ?? PLACEMENT_BATCH;
    const snapshot = new Map<number, WorkerCapacity>();
    const skip: number[] = [];
    for (;;) {
      const result = await withTxRetry(
        () =>
          placePendingJobs(this.opts.db, {
            now: this.now(),
            batch,
            snapshot,
            skip,
            ...(this.opts.notify === false
              ? {}
              : {
                  onPlaced: (trx, assigned) =>
                    notifyJobsAssigned(
                      trx,
                      assigned.map((a) => a.workerId),
                    ),
                }),
          }),
        {
          onRetry: (attempt, code) => {
            snapshot.clear(); // the rolled-back attempt may have left it ahead of the database
            this.opts.log.warn({ attempt, code }, "placement transaction retried");
          },
        },
      );
      total.assigned.push(...result.assigned);
      total.failed.push(...result.failed);
      for (const a of result.assigned) {
        try {
          this.onJobAssigned?.(a.workerId, a.jobId);
        } catch (err) {
          this.opts.log.error({ err, jobId: a.jobId }, "job-assigned callback failed");
        }
      }
      skip.push(...result.unplaced);
      // A full batch means more may be waiting behind it, placeable or not.
      if (result.claimed < batch) break;
    }
    if (total.assigned.length > 0) this.opts.log.info({ assigned: total.assigned.length }, "jobs placed");
    return total;
  }

  /**
   * Read-only: the worker a job with this need would go to now, with its
   * zone, or undefined (the reference's SelectAvailableWorker). Writes nothing.
   */
  async selectAvailableWorker(need: Need): Promise<{ workerId: number; zone: string } | undefined> {
    const w = pickWorker(await loadOnlineWorkers(this.opts.db), need);
    return w && { workerId: w.id, zone: w.zone };
  }

  start(): Promise<void> {
    return this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}
