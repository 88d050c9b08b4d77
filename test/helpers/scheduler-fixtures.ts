import { sql, type Kysely } from "kysely";
import type { DB } from "../../src/db/schema.js";
import { enqueueAppJob } from "../../src/scheduler/enqueue.js";
import { makeUser, unique } from "./db-fixtures.js";

/** Online workers with the given sizes (cpu millicores, memory MB). */
export async function makeOnlineWorkers(
  db: Kysely<DB>,
  sizes: readonly { cpu: number; memory: number; zone?: string }[],
): Promise<number[]> {
  if (sizes.length === 0) return [];
  const rows = await db
    .insertInto("workers")
    .values(
      sizes.map((s) => {
        const name = unique("sw");
        return {
          name,
          api_key_hash: Buffer.from(name.padEnd(32, "x")).toString("hex").slice(0, 64).padEnd(64, "0"),
          envelope_key_enc: "x",
          zone: s.zone ?? "default",
          status: "online" as const,
          cpu_millicores: s.cpu,
          memory_mb: s.memory,
          last_heartbeat: new Date(),
        };
      }),
    )
    .returning("id")
    .execute();
  return rows.map((r) => r.id);
}

/** N apps, each with one unplaced deployment and its pending deploy job. Returns job ids. */
export async function makePendingDeploys(
  db: Kysely<DB>,
  specs: readonly { cpu: number; memory: number; zone?: string | null; priority?: number }[],
): Promise<number[]> {
  const user = await makeUser(db);
  const apps = await db
    .insertInto("apps")
    .values(
      specs.map((s) => ({
        user_id: user.id,
        name: "a",
        slug: unique("s"),
        cpu_millicores: s.cpu,
        memory_mb: s.memory,
        zone: s.zone ?? null,
      })),
    )
    .returning("id")
    .execute();
  const deployments = await db
    .insertInto("deployments")
    .values(
      apps.map((a, i) => ({
        app_id: a.id,
        source_kind: "image" as const,
        image: "localhost/x:1",
        cpu_millicores: specs[i]!.cpu,
        memory_mb: specs[i]!.memory,
      })),
    )
    .returning(["id", "app_id"])
    .execute();
  const ids: number[] = [];
  for (const [i, d] of deployments.entries()) {
    ids.push(
      await enqueueAppJob(db, d.app_id, "deploy", { deploymentId: d.id, priority: specs[i]!.priority ?? 0 }),
    );
  }
  return ids;
}

export interface InvariantReport {
  overCommitted: number[];
  counterMismatch: number[];
  jobsAssigned: number;
  jobsPending: number;
  halfAssigned: number[];
}

/**
 * The scheduler's invariants: no worker over capacity; each worker's used
 * counters equal the sum of its live reservations; every assigned deploy has
 * its deployment placed on the same worker with a port, and no pending job
 * holds a placement.
 */
export async function checkInvariants(db: Kysely<DB>): Promise<InvariantReport> {
  const workers = (
    await sql<{ id: number; over: boolean; mismatch: boolean }>`
      SELECT w.id,
             (w.used_cpu_millicores > w.cpu_millicores OR w.used_memory_mb > w.memory_mb) AS over,
             (w.used_cpu_millicores <> coalesce(r.cpu, 0) OR w.used_memory_mb <> coalesce(r.mem, 0)) AS mismatch
      FROM workers w
      LEFT JOIN (SELECT worker_id, sum(cpu_millicores)::int AS cpu, sum(memory_mb)::int AS mem
                 FROM deployments WHERE reserved GROUP BY worker_id) r ON r.worker_id = w.id
    `.execute(db)
  ).rows;
  const jobs = await db
    .selectFrom("jobs as j")
    .leftJoin("deployments as d", "d.id", "j.deployment_id")
    .select([
      "j.id",
      "j.status",
      "j.worker_id",
      "j.host_port",
      "d.worker_id as d_worker",
      "d.host_port as d_port",
      "d.reserved",
    ])
    .where("j.type", "=", "deploy")
    .execute();
  const halfAssigned = jobs
    .filter((j) =>
      j.status === "assigned"
        ? j.worker_id === null ||
          j.d_worker !== j.worker_id ||
          j.host_port === null ||
          j.d_port !== j.host_port ||
          !j.reserved
        : j.status === "pending" && (j.worker_id !== null || j.d_worker !== null || j.reserved),
    )
    .map((j) => j.id);
  return {
    overCommitted: workers.filter((w) => w.over).map((w) => w.id),
    counterMismatch: workers.filter((w) => w.mismatch).map((w) => w.id),
    jobsAssigned: jobs.filter((j) => j.status === "assigned").length,
    jobsPending: jobs.filter((j) => j.status === "pending").length,
    halfAssigned,
  };
}
