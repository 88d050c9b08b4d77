import { sql, type Kysely, type Transaction } from "kysely";
import type { DB } from "../db/schema.js";
import { fits, pickWorker, type Need, type WorkerCapacity } from "./scoring.js";

export const PLACEMENT_BATCH = 100;
export const HOST_PORT_MIN = 20000;
export const HOST_PORT_MAX = 29999;

export interface Assignment {
  jobId: number;
  workerId: number;
  hostPort: number | null;
}

export interface PlacementResult {
  claimed: number;
  /** Ids of the claimed jobs that stayed pending (fit nowhere now). */
  unplaced: number[];
  assigned: Assignment[];
  /** Jobs failed because they cannot ever be placed (a deploy without its deployment). */
  failed: number[];
}

interface ClaimedJob {
  id: number;
  type: "deploy" | "restart" | "stop" | "delete";
  deployment_id: number | null;
  cpu_millicores: number;
  memory_mb: number;
  zone: string | null;
  worker_id: number | null;
}

interface PlannedJob {
  job: ClaimedJob;
  workerId: number;
}

/**
 * One placement pass in one transaction (the reference's processPendingJobs):
 *
 * 1. claim up to `batch` due pending jobs (run_after at or before `now`,
 *    to the millisecond), by priority then age, with
 *    FOR UPDATE SKIP LOCKED (replicas never claim the same job);
 * 2. plan on a snapshot of the online workers: a preset worker for
 *    restart/stop/delete, else the eligible worker with the lowest score;
 * 3. lock the chosen workers in id order (no deadlocks between replicas) and
 *    re-check every planned job against their current counters, dropping
 *    what no longer fits (it stays pending, behind nothing);
 * 4. allocate host ports (unique per worker, 20000–29999) while holding the
 *    worker locks, so no other transaction allocates on those workers;
 * 5. reserve with one UPDATE whose WHERE re-checks capacity, so an
 *    over-commit is impossible even if every check above were wrong; then
 *    place the deployments and mark the jobs assigned, set-based.
 *
 * `onPlaced` runs inside the transaction after the writes (the caller sends
 * NOTIFY there, which is delivered on commit).
 */
export async function placePendingJobs(
  db: Kysely<DB>,
  opts: {
    now: Date;
    batch?: number;
    onPlaced?: (trx: Transaction<DB>, assigned: Assignment[]) => Promise<void>;
    /**
     * The planning snapshot of online workers, reused across the batches of
     * one scheduler tick (loaded when empty). Only planning reads it; every
     * placement is re-checked against the locked rows, whose fresh counters
     * are written back into it.
     */
    snapshot?: Map<number, WorkerCapacity>;
    /** Jobs already considered in this tick that did not fit: not claimed again, so they block nothing behind them. */
    skip?: readonly number[];
  },
): Promise<PlacementResult> {
  // run_after has the database's microseconds (its default is now()), `now`
  // only milliseconds: a job enqueued in the millisecond of the tick is due
  // in that tick, so compare at millisecond resolution.
  const dueBefore = new Date(opts.now.getTime() + 1);
  return db.transaction().execute(async (trx) => {
    const jobs = (
      await sql<ClaimedJob>`
      SELECT id, type, deployment_id, cpu_millicores, memory_mb, zone, worker_id
      FROM jobs
      WHERE status = 'pending' AND run_after < ${dueBefore} AND id <> ALL(${[...(opts.skip ?? [])]}::int[])
      ORDER BY priority DESC, created_at, id
      LIMIT ${opts.batch ?? PLACEMENT_BATCH}
      FOR UPDATE SKIP LOCKED
    `.execute(trx)
    ).rows;
    if (jobs.length === 0) return { claimed: 0, unplaced: [], assigned: [], failed: [] };

    // Jobs that can never be placed fail at once rather than sit in the queue.
    const unplaceable = jobs.filter(
      (j) =>
        (j.type === "deploy" && j.deployment_id === null) || (j.type !== "deploy" && j.worker_id === null),
    );
    const failed = unplaceable.map((j) => j.id);
    for (const j of unplaceable) {
      await trx
        .updateTable("jobs")
        .set({
          status: "failed",
          error: j.type === "deploy" ? "deploy job without a deployment" : "the app is not on any worker",
          finished_at: opts.now,
          updated_at: opts.now,
        })
        .where("id", "=", j.id)
        .execute();
    }

    const snapshot = opts.snapshot ?? new Map<number, WorkerCapacity>();
    if (snapshot.size === 0) for (const w of await loadOnlineWorkers(trx)) snapshot.set(w.id, w);
    const plan = planJobs(
      jobs.filter((j) => !failed.includes(j.id)),
      snapshot,
    );
    if (plan.length === 0)
      return { claimed: jobs.length, unplaced: unplacedOf(jobs, failed, []), assigned: [], failed };

    const workerIds = [...new Set(plan.map((p) => p.workerId))].sort((a, b) => a - b);
    const locked = new Map((await lockWorkers(trx, workerIds)).map((w) => [w.id, w]));
    const confirmed = plan.filter((p) => {
      const w = locked.get(p.workerId);
      const need = needOf(p.job);
      if (!w || !fits(w, { ...need, zone: null })) return false;
      w.usedCpuMillicores += need.cpuMillicores;
      w.usedMemoryMb += need.memoryMb;
      return true;
    });
    // Write the locked truth back into the snapshot (a worker gone offline leaves it).
    for (const id of workerIds) {
      const w = locked.get(id);
      if (w) snapshot.set(id, { ...w });
      else snapshot.delete(id);
    }
    if (confirmed.length === 0)
      return { claimed: jobs.length, unplaced: unplacedOf(jobs, failed, []), assigned: [], failed };

    const ports = await allocatePorts(trx, confirmed);
    const assigned = confirmed.map((p) => ({
      jobId: p.job.id,
      workerId: p.workerId,
      hostPort: ports.get(p.job.id) ?? null,
    }));
    await reserve(trx, confirmed);
    const deploys = confirmed.filter((p) => p.job.deployment_id !== null && p.job.type === "deploy");
    if (deploys.length > 0) {
      await sql`
        UPDATE deployments AS d
        SET worker_id = v.worker_id, host_port = v.host_port, reserved = true
        FROM unnest(${deploys.map((p) => p.job.deployment_id)}::int[], ${deploys.map((p) => p.workerId)}::int[],
                    ${deploys.map((p) => ports.get(p.job.id) ?? null)}::int[]) AS v(id, worker_id, host_port)
        WHERE d.id = v.id
      `.execute(trx);
    }
    await sql`
      UPDATE jobs AS j
      SET status = 'assigned', worker_id = v.worker_id, host_port = v.host_port,
          assigned_at = ${opts.now}, updated_at = ${opts.now}
      FROM unnest(${assigned.map((a) => a.jobId)}::int[], ${assigned.map((a) => a.workerId)}::int[],
                  ${assigned.map((a) => a.hostPort)}::int[]) AS v(id, worker_id, host_port)
      WHERE j.id = v.id
    `.execute(trx);
    await opts.onPlaced?.(trx, assigned);
    return { claimed: jobs.length, unplaced: unplacedOf(jobs, failed, assigned), assigned, failed };
  });
}

function unplacedOf(
  jobs: readonly ClaimedJob[],
  failed: readonly number[],
  assigned: readonly Assignment[],
): number[] {
  const done = new Set([...failed, ...assigned.map((a) => a.jobId)]);
  return jobs.filter((j) => !done.has(j.id)).map((j) => j.id);
}

function needOf(job: ClaimedJob): Need {
  return job.type === "deploy"
    ? { cpuMillicores: job.cpu_millicores, memoryMb: job.memory_mb, zone: job.zone }
    : { cpuMillicores: 0, memoryMb: 0, zone: null };
}

/** Step 2: jobs in claim order onto the snapshot, which is updated as jobs land. */
export function planJobs(jobs: readonly ClaimedJob[], snapshot: Map<number, WorkerCapacity>): PlannedJob[] {
  const plan: PlannedJob[] = [];
  for (const job of jobs) {
    const need = needOf(job);
    let w: WorkerCapacity | undefined;
    if (job.type !== "deploy") {
      // restart/stop/delete run where the app (or the deployment) is; an offline worker leaves them pending.
      w = job.worker_id === null ? undefined : snapshot.get(job.worker_id);
    } else {
      w = pickWorker(snapshot.values(), need);
    }
    if (!w || !fits(w, need)) continue;
    w.usedCpuMillicores += need.cpuMillicores;
    w.usedMemoryMb += need.memoryMb;
    if (job.type === "deploy") w.runningApps += 1;
    plan.push({ job, workerId: w.id });
  }
  return plan;
}

interface WorkerRowLite {
  id: number;
  zone: string;
  cpu_millicores: number;
  memory_mb: number;
  used_cpu_millicores: number;
  used_memory_mb: number;
  running_apps: number;
}

function toCapacity(r: WorkerRowLite): WorkerCapacity {
  return {
    id: r.id,
    zone: r.zone,
    cpuMillicores: r.cpu_millicores,
    memoryMb: r.memory_mb,
    usedCpuMillicores: r.used_cpu_millicores,
    usedMemoryMb: r.used_memory_mb,
    runningApps: r.running_apps,
  };
}

/** The worker columns placement reads. */
const CAPACITY_COLUMNS = [
  "id",
  "zone",
  "cpu_millicores",
  "memory_mb",
  "used_cpu_millicores",
  "used_memory_mb",
  "running_apps",
] as const;

/** Every online worker's capacity (no lock): the planning snapshot, and SelectAvailableWorker's input. */
export async function loadOnlineWorkers(trx: Kysely<DB>): Promise<WorkerCapacity[]> {
  const rows = await trx
    .selectFrom("workers")
    .select(CAPACITY_COLUMNS)
    .where("status", "=", "online")
    .execute();
  return rows.map(toCapacity);
}

async function lockWorkers(trx: Transaction<DB>, ids: number[]): Promise<WorkerCapacity[]> {
  const rows = await trx
    .selectFrom("workers")
    .select(CAPACITY_COLUMNS)
    .where("id", "in", ids)
    .where("status", "=", "online")
    .orderBy("id")
    .forUpdate()
    .execute();
  return rows.map(toCapacity);
}

/** Step 4: the lowest free port per worker for each deploy, read under the worker locks. */
async function allocatePorts(trx: Transaction<DB>, plan: PlannedJob[]): Promise<Map<number, number>> {
  const deploys = plan.filter((p) => p.job.type === "deploy");
  const result = new Map<number, number>();
  if (deploys.length === 0) return result;
  const workerIds = [...new Set(deploys.map((p) => p.workerId))];
  const used = await trx
    .selectFrom("deployments")
    .select(["worker_id", "host_port"])
    .where("worker_id", "in", workerIds)
    .where("host_port", "is not", null)
    .execute();
  const taken = new Map<number, Set<number>>();
  for (const r of used) {
    if (r.worker_id === null || r.host_port === null) continue;
    let set = taken.get(r.worker_id);
    if (!set) taken.set(r.worker_id, (set = new Set()));
    set.add(r.host_port);
  }
  const next = new Map<number, number>();
  for (const p of deploys) {
    const set = taken.get(p.workerId) ?? new Set<number>();
    taken.set(p.workerId, set);
    let port = next.get(p.workerId) ?? HOST_PORT_MIN;
    while (port <= HOST_PORT_MAX && set.has(port)) port++;
    if (port > HOST_PORT_MAX) continue; // no port left: the job stays pending (see reserve filter)
    set.add(port);
    next.set(p.workerId, port + 1);
    result.set(p.job.id, port);
  }
  // A deploy that got no port is not placed.
  for (let i = plan.length - 1; i >= 0; i--) {
    const p = plan[i];
    if (p && p.job.type === "deploy" && !result.has(p.job.id)) plan.splice(i, 1);
  }
  return result;
}

/** Step 5: one guarded UPDATE for all reservations; a guard that fails aborts the transaction. */
async function reserve(trx: Transaction<DB>, plan: PlannedJob[]): Promise<void> {
  const sums = new Map<number, { cpu: number; mem: number }>();
  for (const p of plan) {
    const need = needOf(p.job);
    if (need.cpuMillicores === 0 && need.memoryMb === 0) continue;
    const s = sums.get(p.workerId) ?? { cpu: 0, mem: 0 };
    s.cpu += need.cpuMillicores;
    s.mem += need.memoryMb;
    sums.set(p.workerId, s);
  }
  if (sums.size === 0) return;
  const ids = [...sums.keys()];
  const result = await sql<{ id: number }>`
    UPDATE workers AS w
    SET used_cpu_millicores = w.used_cpu_millicores + v.cpu,
        used_memory_mb = w.used_memory_mb + v.mem,
        running_apps = w.running_apps + v.apps
    FROM unnest(${ids}::int[], ${ids.map((id) => sums.get(id)?.cpu ?? 0)}::int[],
                ${ids.map((id) => sums.get(id)?.mem ?? 0)}::int[],
                ${ids.map((id) => plan.filter((p) => p.workerId === id && p.job.type === "deploy").length)}::int[])
      AS v(id, cpu, mem, apps)
    WHERE w.id = v.id AND w.status = 'online'
      AND w.used_cpu_millicores + v.cpu <= w.cpu_millicores
      AND w.used_memory_mb + v.mem <= w.memory_mb
    RETURNING w.id
  `.execute(trx);
  if (result.rows.length !== ids.length) {
    // Cannot happen while the worker rows are locked; if it does, undo everything.
    throw Object.assign(new Error("capacity changed under a held lock"), { code: "40001" });
  }
}
