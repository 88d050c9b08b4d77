import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { WebSocket } from "ws";
import { nextAssignedJob } from "../db/jobs.js";
import type { DB } from "../db/schema.js";
import { markWorkerOnline, type WorkerRow } from "../db/workers.js";
import type { Service } from "../lifecycle.js";
import { CLOSE_REPLACED } from "../protocol/errors.js";
import type { JobPayload } from "../protocol/messages-server.js";
import { OwnershipQuery } from "./app-ownership.js";
import { completeJob } from "./job-completion.js";
import type { LiveAppStats, StatsStore } from "./stats-store.js";
import {
  DEFAULT_TIMINGS,
  WorkerConn,
  type ConnLogger,
  type ConnTimings,
  type MessageHandler,
} from "./worker-conn.js";

/** What `hello` tells workers (spec §4). */
export const HEARTBEAT_INTERVAL_S = 30;
export const STATS_INTERVAL_S = 10;

export interface HubOptions {
  db: Kysely<DB>;
  log: ConnLogger;
  stats: StatsStore;
  /** The worker's envelope key (decrypted from its row). */
  envelopeKey: (worker: WorkerRow) => Buffer;
  /** Builds the `job` payload of one job, or undefined if it cannot be built. */
  loadJob: (jobId: number) => Promise<JobPayload | undefined>;
  /** Set after construction: the dispatcher needs the hub's replayPendingJobs. */
  handle?: MessageHandler;
  now?: () => number;
  timings?: Partial<ConnTimings>;
  heartbeatIntervalS?: number;
  statsIntervalS?: number;
  /** Observes each handled message (type, ms from receipt to handled); for benchmarks. */
  onHandled?: (type: string, ms: number) => void;
}

export interface AppStatSnapshot {
  cpuPct: number;
  memBytes: number;
  memLimit: number;
  updatedAt: Date;
}

/**
 * The registry of live worker connections (the reference's Hub). A new
 * connection of a worker replaces the old one (close 4000). Jobs go out one
 * at a time per worker: the oldest assigned job on connect, after each
 * job_result, and when the scheduler pushes one to an idle worker.
 */
export class Hub implements Service {
  readonly name = "ws-hub";
  private readonly conns = new Map<number, WorkerConn>();
  private readonly now: () => number;
  private readonly timings: ConnTimings;
  /** One for all connections, so their ownership lookups share statements. */
  private readonly ownershipQuery: OwnershipQuery;
  private handle: MessageHandler | undefined;

  constructor(private readonly opts: HubOptions) {
    this.now = opts.now ?? Date.now;
    this.timings = { ...DEFAULT_TIMINGS, ...opts.timings };
    this.handle = opts.handle;
    this.ownershipQuery = new OwnershipQuery(opts.db);
  }

  setHandler(handle: MessageHandler): void {
    this.handle = handle;
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  connection(workerId: number): WorkerConn | undefined {
    return this.conns.get(workerId);
  }

  /**
   * Takes over an authenticated socket: replaces any earlier connection of
   * the worker, marks it online, sends `hello`, then the oldest assigned job.
   */
  async attach(worker: WorkerRow, socket: WebSocket): Promise<WorkerConn> {
    const handle = this.handle;
    if (!handle) throw new Error("hub has no message handler");
    const conn = new WorkerConn({
      worker,
      key: this.opts.envelopeKey(worker),
      connId: randomBytes(16).toString("hex"),
      socket,
      db: this.opts.db,
      ownershipQuery: this.ownershipQuery,
      log: this.opts.log,
      now: this.now,
      timings: this.timings,
      handle,
      ...(this.opts.onHandled ? { onHandled: this.opts.onHandled } : {}),
      onClose: (c, code) => {
        if (this.conns.get(c.workerId) === c) this.conns.delete(c.workerId);
        this.opts.log.info({ workerId: c.workerId, code }, "worker disconnected");
      },
    });
    this.conns.get(worker.id)?.close(CLOSE_REPLACED, "replaced");
    this.conns.set(worker.id, conn);
    await markWorkerOnline(this.opts.db, worker.id, new Date(this.now()));
    if (!conn.isOpen) return conn;
    conn.sayHello(
      this.opts.heartbeatIntervalS ?? HEARTBEAT_INTERVAL_S,
      this.opts.statsIntervalS ?? STATS_INTERVAL_S,
    );
    this.opts.log.info({ workerId: worker.id, name: worker.name }, "worker connected");
    void conn.run(() => this.replayPendingJobs(conn));
    return conn;
  }

  /** Asks the worker's connection (if it is on this replica) to send its next job. */
  pushJob(workerId: number): boolean {
    const conn = this.conns.get(workerId);
    if (!conn) return false;
    void conn.run(() => this.replayPendingJobs(conn));
    return true;
  }

  /**
   * Sends the worker's oldest assigned job unless one is in flight. A job
   * whose payload cannot be built is failed (with its reservation released)
   * rather than blocking the jobs behind it.
   */
  async replayPendingJobs(conn: WorkerConn): Promise<void> {
    while (conn.isOpen && conn.inFlightJobId === null) {
      const jobId = await nextAssignedJob(this.opts.db, conn.workerId);
      if (jobId === undefined) return;
      const payload = await this.opts.loadJob(jobId);
      if (payload) {
        conn.inFlightJobId = jobId;
        // The job's reservation may be new: a cached "not yours" must not drop the worker's first reports.
        conn.ownership.forget(payload.app.id);
        conn.emit("job", payload);
        return;
      }
      this.opts.log.error(
        { workerId: conn.workerId, jobId },
        "job cannot be sent (missing app or deployment); failing it",
      );
      await completeJob(
        this.opts.db,
        {
          workerId: conn.workerId,
          jobId,
          success: false,
          error: "the job could not be built",
          logs: "",
          containerId: null,
        },
        new Date(this.now()),
      );
    }
  }

  /** Forgets every connection's ownership answer about the app (its placement or reservations changed). */
  forgetApp(appId: number): void {
    for (const conn of this.conns.values()) conn.ownership.forget(appId);
  }

  appStats(appId: number): AppStatSnapshot | undefined {
    const s = this.opts.stats.get(appId);
    return s && { cpuPct: s.cpuPct, memBytes: s.memBytes, memLimit: s.memLimit, updatedAt: s.updatedAt };
  }

  appStatsLive(appId: number): LiveAppStats | undefined {
    return this.opts.stats.get(appId);
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  /** Closes every connection (1001, going away) after its queued messages are handled. */
  async stop(): Promise<void> {
    const conns = [...this.conns.values()];
    await Promise.all(conns.map((c) => c.drain()));
    for (const c of conns) c.close(1001, "server shutting down");
  }
}
