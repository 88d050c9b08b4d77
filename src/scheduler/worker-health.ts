import type { Kysely } from "kysely";
import { stopAppsOnWorkers } from "../db/apps.js";
import { endReservationsOnWorkers } from "../db/deployments.js";
import type { DB } from "../db/schema.js";
import { countOnlineWorkers, markStaleWorkersOffline, releaseWorkerCapacities } from "../db/workers.js";
import type { Service } from "../lifecycle.js";
import { Loop, type LoopLogger } from "../loop.js";
import { WORKER_HEALTH_LOCK_KEY, withTickLock } from "./advisory-lock.js";

export const WORKER_HEALTH_INTERVAL_MS = 60_000;

export interface WorkerHealthMonitorOptions {
  db: Kysely<DB>;
  log: LoopLogger & { warn(obj: object, msg: string): void };
  now: () => Date;
  /** `workers.heartbeat_timeout_s`: a worker silent for longer is offline. */
  heartbeatTimeoutS: number;
  /** `workers.health_interval_s` in ms. */
  intervalMs?: number;
  /** When this control plane started; defaults to now() at construction. */
  startedAt?: Date;
}

export interface WorkerHealthResult {
  /** Workers this tick marked offline, ascending. */
  offline: number[];
  /** Apps stopped because their worker went offline. */
  appsStopped: number;
  /** True when more than half of the online workers went stale at once: marked offline, apps left alone. */
  partition: boolean;
  /** Why nothing was checked: still in the start-up grace, or another replica held the lock. */
  skipped?: "grace" | "locked";
}

/**
 * The reference's MonitorWorkerHealth/checkWorkerHealth: online workers
 * whose last heartbeat is older than the timeout become offline, and their
 * apps are stopped (status `stopped`, reservations ended, capacity given
 * back), which the `app.offline` alert evaluation then sees. A worker that
 * comes back is marked online by its next heartbeat, not here.
 *
 * Two guard rails the reference lacks:
 * - Start-up grace: for one heartbeat timeout after `startedAt` nothing is
 *   marked offline. Heartbeats are not received while the control plane is
 *   down, so right after a restart every worker looks stale.
 * - Partition: when strictly more than half of the online workers are stale
 *   in one check, the likelier cause is this control plane losing the
 *   network, not the fleet dying. They are marked offline (nothing is placed
 *   on them) but their apps are not stopped, and an error is logged.
 *   Consequence: in a fleet of one worker, its loss never stops its apps.
 *
 * One replica per tick (advisory lock); a tick is a fixed handful of
 * set-based statements in one transaction, whatever the size of the fleet.
 */
export class WorkerHealthMonitor implements Service {
  readonly name = "worker-health";
  private readonly loop: Loop<WorkerHealthResult>;
  private readonly startedAt: Date;

  constructor(private readonly opts: WorkerHealthMonitorOptions) {
    this.startedAt = opts.startedAt ?? opts.now();
    this.loop = new Loop({
      name: this.name,
      intervalMs: opts.intervalMs ?? WORKER_HEALTH_INTERVAL_MS,
      log: opts.log,
      tick: () => this.runOnce(),
    });
  }

  async runOnce(): Promise<WorkerHealthResult> {
    const now = this.opts.now();
    const timeoutMs = this.opts.heartbeatTimeoutS * 1000;
    if (now.getTime() < this.startedAt.getTime() + timeoutMs)
      return { offline: [], appsStopped: 0, partition: false, skipped: "grace" };
    const cutoff = new Date(now.getTime() - timeoutMs);

    const result = await withTickLock(this.opts.db, WORKER_HEALTH_LOCK_KEY, async (trx) => {
      // Counted before marking, so the stale workers are part of the online total.
      const online = await countOnlineWorkers(trx);
      const offline = await markStaleWorkersOffline(trx, cutoff, now);
      const partition = offline.length * 2 > online;
      if (offline.length === 0 || partition) return { offline, appsStopped: 0, partition, online };
      const stopped = await stopAppsOnWorkers(trx, offline, now);
      const released = await endReservationsOnWorkers(trx, offline, now);
      await releaseWorkerCapacities(
        trx,
        released.flatMap((d) =>
          d.worker_id === null
            ? []
            : [{ workerId: d.worker_id, cpuMillicores: d.cpu_millicores, memoryMb: d.memory_mb }],
        ),
      );
      return { offline, appsStopped: stopped.length, partition, online };
    });
    if (!result) return { offline: [], appsStopped: 0, partition: false, skipped: "locked" };

    const { online, ...outcome } = result;
    if (outcome.partition)
      this.opts.log.error(
        { offline: outcome.offline, online, heartbeatTimeoutS: this.opts.heartbeatTimeoutS },
        "more than half of the online workers missed their heartbeats at once; marked offline but " +
          "their apps were NOT stopped (suspected network partition of this control plane)",
      );
    else if (outcome.offline.length > 0)
      this.opts.log.warn(
        { offline: outcome.offline, appsStopped: outcome.appsStopped },
        "workers missed their heartbeats; marked offline and their apps stopped",
      );
    return outcome;
  }

  start(): Promise<void> {
    return this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}
