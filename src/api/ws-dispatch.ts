import type { Kysely } from "kysely";
import { setAppStatusIfChanged } from "../db/apps.js";
import { appendBuildLogs } from "../db/deployments.js";
import { findJobOfWorker, markJobProcessing } from "../db/jobs.js";
import type { AppStatus, DB } from "../db/schema.js";
import { publishWithin, type EventType, type Publisher } from "../events/publisher.js";
import type { LogBus, LogLine } from "../logbus/log-bus.js";
import {
  MAX_RUNTIME_LOG_LINES,
  type AppStatsPayload,
  type AppStatusPayload,
} from "../protocol/messages-worker.js";
import type { WorkerMessageType, WorkerPayload } from "../protocol/messages.js";
import type { HeartbeatBatcher } from "./heartbeat-batcher.js";
import { completeJob } from "./job-completion.js";
import { capLine, capLogs, MAX_BUILD_LOG_BYTES, stripANSI, stripANSIMultiline } from "./log-sanitize.js";
import type { StatsStore } from "./stats-store.js";
import type { MessageHandler, WorkerConn } from "./worker-conn.js";

export interface DispatchDeps {
  db: Kysely<DB>;
  stats: StatsStore;
  logBus: LogBus;
  publisher: Publisher;
  heartbeats: HeartbeatBatcher;
  now: () => Date;
  /** Called after a change to what runs where (job results, app status): drops the proxy-config cache. */
  onAppsChanged?: () => void;
  /** Called after a job result changed an app's placement or reservations: forgets every connection's ownership answer about it. */
  onPlacementChanged?: (appId: number) => void;
  /** Sends the worker its next assigned job if it is idle (the hub's replayPendingJobs). */
  replayPendingJobs: (conn: WorkerConn) => Promise<void>;
}

type Handler<T extends WorkerMessageType> = (
  conn: WorkerConn,
  payload: WorkerPayload<T>,
  seq: number,
) => Promise<void> | void;
type HandlerMap = { [T in WorkerMessageType]: Handler<T> };

/**
 * One handler per worker message type (spec §5, the reference's
 * ws_dispatch.go). Every handler checks that the job or app it names belongs
 * to the sending worker; anything else changes nothing (jobs answer
 * `not_found`, foreign apps are ignored).
 */
const noop = (): void => undefined;

export function createDispatcher(deps: DispatchDeps): MessageHandler {
  const { db, now } = deps;

  const onAppStatus = async (conn: WorkerConn, p: AppStatusPayload): Promise<void> => {
    if (!(await conn.ownership.owned([p.app_id])).has(p.app_id)) return;
    const status: AppStatus = p.status === "crashed" ? "crashed" : p.status;
    const type: EventType | undefined =
      p.status === "stopped"
        ? "app.stopped"
        : p.status === "crashed" && p.reason === "crashloop"
          ? "app.crashloop"
          : undefined;
    const reason = [p.reason, p.exit_code != null ? `exit code ${p.exit_code}` : undefined]
      .filter(Boolean)
      .join(", ");
    // The status change and its event commit together (outbox).
    const afterCommit = await db.transaction().execute(async (trx) => {
      const app = await setAppStatusIfChanged(trx, p.app_id, status, now());
      if (!app) return undefined;
      if (!type) return noop;
      return publishWithin(deps.publisher, trx, { type, app, time: now(), ...(reason ? { reason } : {}) });
    });
    if (!afterCommit) return;
    deps.onAppsChanged?.();
    afterCommit();
  };

  /** Stores the stats of the apps in `owned`, or of every app when `owned` is undefined. */
  const putStats = (p: AppStatsPayload, owned?: ReadonlySet<number>): void => {
    const at = now().getTime();
    for (const a of p.apps) {
      if (owned && !owned.has(a.app_id)) continue;
      deps.stats.putSample(
        a.app_id,
        {
          cpuPct: a.cpu_pct,
          memBytes: a.mem_bytes,
          memLimit: a.mem_limit_bytes,
          netMbps: a.net_mbps,
          netTotalBytes: a.net_total_bytes,
          diskMbps: a.disk_mbps,
        },
        at,
      );
    }
  };

  const handlers: HandlerMap = {
    heartbeat: (conn, p) => deps.heartbeats.beat(conn.workerId, p),

    // Synchronous while the connection's ownership cache knows every app as its own (the steady state).
    app_stats: (conn, p) => {
      if (conn.ownership.allOwnedIfKnown(p.apps) === true) return putStats(p);
      return conn.ownership.owned(p.apps.map((a) => a.app_id)).then((owned) => putStats(p, owned));
    },

    job_status: async (conn, p, seq) => {
      const moved = await markJobProcessing(db, p.job_id, conn.workerId, now());
      if (moved) {
        if (moved.type === "deploy" && moved.deployment_id !== null) {
          await db
            .updateTable("deployments")
            .set({ status: "deploying", started_at: now() })
            .where("id", "=", moved.deployment_id)
            .where("status", "=", "pending")
            .execute();
        }
        return;
      }
      if (!(await findJobOfWorker(db, p.job_id, conn.workerId))) {
        conn.sendError(seq, "not_found", `job ${p.job_id} is not assigned to this worker`);
      }
    },

    job_result: async (conn, p, seq) => {
      const result = await completeJob(
        db,
        {
          workerId: conn.workerId,
          jobId: p.job_id,
          success: p.success,
          error: p.error,
          logs: p.logs,
          containerId: p.container_id,
        },
        now(),
        deps.publisher,
      );
      if (result.kind === "not_found") {
        conn.sendError(seq, "not_found", `job ${p.job_id} is not assigned to this worker`);
        return;
      }
      if (conn.inFlightJobId === p.job_id) conn.inFlightJobId = null;
      if (result.kind === "completed") {
        conn.ownership.invalidate();
        deps.onPlacementChanged?.(result.appId);
        deps.onAppsChanged?.();
        result.afterCommit();
      }
      await deps.replayPendingJobs(conn);
    },

    app_status: (conn, p) => onAppStatus(conn, p),

    violation: async (conn, p) => {
      if (!(await conn.ownership.owned([p.app_id])).has(p.app_id)) return;
      const afterCommit = await db.transaction().execute(async (trx) => {
        const app = await setAppStatusIfChanged(trx, p.app_id, "violated", now());
        if (!app) return undefined;
        return publishWithin(deps.publisher, trx, {
          type: "app.violation",
          app,
          reason: stripANSI(p.reason),
          time: now(),
        });
      });
      if (!afterCommit) return;
      deps.onAppsChanged?.();
      afterCommit();
    },

    runtime_log: async (conn, p) => {
      const lines = p.lines.slice(0, MAX_RUNTIME_LOG_LINES);
      const owned = await conn.ownership.owned(lines.map((l) => l.app_id));
      const clean: LogLine[] = [];
      for (const l of lines) {
        if (!owned.has(l.app_id)) continue;
        clean.push({ appId: l.app_id, ts: l.ts, stream: l.stream, line: capLine(stripANSI(l.line)) });
      }
      if (clean.length > 0) deps.logBus.publish(clean);
    },

    build_log: async (conn, p, seq) => {
      const job = await findJobOfWorker(db, p.job_id, conn.workerId);
      if (!job || job.deployment_id === null) {
        conn.sendError(seq, "not_found", `job ${p.job_id} is not assigned to this worker`);
        return;
      }
      const deploymentId = job.deployment_id;
      await db
        .transaction()
        .execute((trx) =>
          appendBuildLogs(trx, deploymentId, stripANSIMultiline(p.logs), (s) =>
            capLogs(s, MAX_BUILD_LOG_BYTES),
          ),
        );
    },
  };

  // Returns the handler's own result: nothing when it finished synchronously, so no promise is made.
  return (conn, msg) => {
    // The union of (type, payload) pairs is checked by the codec; TypeScript cannot correlate them here.
    const handler = handlers[msg.type] as (c: WorkerConn, p: unknown, seq: number) => Promise<void> | void;
    return handler(conn, msg.payload, msg.env.seq);
  };
}
