import type { Kysely } from "kysely";
import type { Database } from "../db/database.js";
import type { DB } from "../db/schema.js";
import { IdListener, notifyIds, type IdListenerLogger } from "./id-channel.js";

/**
 * Cross-replica job hand-off (DESIGN.md 1, scale-out). The replica that
 * assigns jobs NOTIFYs this channel with each worker's id; every replica
 * LISTENs, and the one holding that worker's WebSocket pushes the job.
 * Notifications are a latency optimisation only: replayPendingJobs on connect
 * and after each result stays the fallback, so a lost notification delays a
 * job but never loses it.
 */
export const JOBS_CHANNEL = "wisehosting_jobs";

/**
 * Sends one notification per distinct worker id on JOBS_CHANNEL, in one
 * statement. Call it with the scheduler's transaction (delivered on commit,
 * never on rollback). Throws a RangeError for an id that is not a positive
 * safe integer.
 */
export function notifyJobsAssigned(db: Kysely<DB>, workerIds: readonly number[]): Promise<void> {
  return notifyIds(db, JOBS_CHANNEL, workerIds, "worker");
}

export interface JobNotifierOptions {
  db: Database;
  /**
   * Called with the worker id of every well-formed notification, from any
   * replica (this one included). Typically `(id) => hub.pushJob(id)`, which is
   * a no-op when the worker is connected elsewhere. Must not block; a throw is
   * logged and the notifier goes on.
   */
  onJobs: (workerId: number) => void;
  log: IdListenerLogger;
}

/** LISTENs on JOBS_CHANNEL and hands each worker id to onJobs (IdListener's contract). */
export class JobNotifier extends IdListener {
  constructor(opts: JobNotifierOptions) {
    super({
      name: "job-notifier",
      db: opts.db,
      channel: JOBS_CHANNEL,
      topic: "job",
      onId: opts.onJobs,
      log: opts.log,
    });
  }
}
