import { sql, type Kysely } from "kysely";
import type { Database } from "../db/database.js";
import type { DB } from "../db/schema.js";
import type { Service } from "../lifecycle.js";

/**
 * Cross-replica job hand-off (DESIGN.md 1, scale-out). The replica that
 * assigns jobs NOTIFYs this channel with each worker's id; every replica
 * LISTENs, and the one holding that worker's WebSocket pushes the job.
 * Notifications are a latency optimisation only: replayPendingJobs on connect
 * and after each result stays the fallback, so a lost notification delays a
 * job but never loses it.
 */
export const JOBS_CHANNEL = "wisehosting_jobs";

/** A payload is a worker id in plain decimal: no sign, no leading zero, no spaces. */
const PAYLOAD_PATTERN = /^[1-9][0-9]{0,15}$/;

/**
 * Sends one notification per distinct worker id on JOBS_CHANNEL, in one
 * statement. Call it with the scheduler's transaction: Postgres delivers
 * notifications only when that transaction commits, and never if it rolls
 * back, so a listener never looks for a job that is not yet visible.
 * Throws a RangeError for an id that is not a positive safe integer.
 */
export async function notifyJobsAssigned(db: Kysely<DB>, workerIds: readonly number[]): Promise<void> {
  const ids = [...new Set(workerIds)].sort((a, b) => a - b);
  if (ids.length === 0) return;
  for (const id of ids) {
    if (!Number.isSafeInteger(id) || id <= 0)
      throw new RangeError(`notifyJobsAssigned: invalid worker id ${id}`);
  }
  await sql`
    SELECT pg_notify(${JOBS_CHANNEL}, w.id::text) FROM unnest(${ids}::bigint[]) AS w(id)
  `.execute(db);
}

/** Parses a JOBS_CHANNEL payload; undefined when it is not a worker id. */
export function parseJobsPayload(payload: string): number | undefined {
  if (!PAYLOAD_PATTERN.test(payload)) return undefined;
  const id = Number(payload);
  return Number.isSafeInteger(id) ? id : undefined;
}

export interface JobNotifierLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
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
  log: JobNotifierLogger;
}

/**
 * LISTENs on JOBS_CHANNEL and hands each worker id to onJobs. start()
 * resolves once listening; stop() unlistens, and after it resolves onJobs is
 * not called again. Both are idempotent; stop() is safe before start(), and
 * start() after stop() listens again.
 */
export class JobNotifier implements Service {
  readonly name = "job-notifier";
  /** Resolves to the unlisten function while started (or starting). */
  private listening: Promise<() => Promise<void>> | undefined;
  /** The last stop's unlisten, which a concurrent stop() waits for too. */
  private stopping: Promise<void> = Promise.resolve();

  constructor(private readonly opts: JobNotifierOptions) {}

  start(): Promise<void> {
    const listening = (this.listening ??= this.opts.db.listen(JOBS_CHANNEL, (payload) =>
      this.onPayload(payload),
    ));
    return listening.then(
      () => undefined,
      (err: unknown) => {
        // A failed start leaves the notifier stopped, so start() can be retried.
        if (this.listening === listening) this.listening = undefined;
        throw err;
      },
    );
  }

  stop(): Promise<void> {
    const listening = this.listening;
    if (listening === undefined) return this.stopping;
    this.listening = undefined;
    this.stopping = listening.then(
      (unlisten) => unlisten(),
      () => undefined,
    );
    return this.stopping;
  }

  private onPayload(payload: string): void {
    const workerId = parseJobsPayload(payload);
    if (workerId === undefined) {
      this.opts.log.warn(
        { channel: JOBS_CHANNEL, payload: payload.slice(0, 100) },
        "ignoring a malformed job notification",
      );
      return;
    }
    try {
      this.opts.onJobs(workerId);
    } catch (err) {
      this.opts.log.error({ err, workerId }, "job notification handler failed");
    }
  }
}
