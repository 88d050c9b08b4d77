import { sql, type Insertable, type Kysely, type Selectable } from "kysely";
import type { DB, WorkersTable } from "./schema.js";

export type WorkerRow = Selectable<WorkersTable>;
export type NewWorker = Insertable<WorkersTable>;

/** Inserts one worker. A taken name or api_key_hash fails with 23505. */
export function insertWorker(db: Kysely<DB>, worker: NewWorker): Promise<WorkerRow> {
  return db.insertInto("workers").values(worker).returningAll().executeTakeFirstOrThrow();
}

export function findWorkerById(db: Kysely<DB>, id: number): Promise<WorkerRow | undefined> {
  return db.selectFrom("workers").selectAll().where("id", "=", id).executeTakeFirst();
}

export function findWorkerByName(db: Kysely<DB>, name: string): Promise<WorkerRow | undefined> {
  return db.selectFrom("workers").selectAll().where("name", "=", name).executeTakeFirst();
}

export function findWorkerByApiKeyHash(db: Kysely<DB>, apiKeyHash: string): Promise<WorkerRow | undefined> {
  return db.selectFrom("workers").selectAll().where("api_key_hash", "=", apiKeyHash).executeTakeFirst();
}

/** Every worker, ordered by name. */
export function listWorkers(db: Kysely<DB>): Promise<WorkerRow[]> {
  return db.selectFrom("workers").selectAll().orderBy("name").execute();
}

/** True when a row was deleted. Apps, deployments and jobs on it keep their rows with worker_id set to NULL. */
export async function deleteWorker(db: Kysely<DB>, id: number): Promise<boolean> {
  const result = await db.deleteFrom("workers").where("id", "=", id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** What a registration writes: everything the worker reports plus its key material. */
export interface WorkerRegistration {
  name: string;
  api_key_hash: string;
  envelope_key_enc: string;
  zone: string;
  wireguard_ip: string | null;
  public_ip: string | null;
  cpu_millicores: number;
  memory_mb: number;
  agent_version: string | null;
}

/** Inserts a new worker, or returns undefined when the name is taken (join-token path). */
export function insertWorkerIfNameFree(
  db: Kysely<DB>,
  reg: WorkerRegistration,
): Promise<WorkerRow | undefined> {
  return db
    .insertInto("workers")
    .values(reg)
    .onConflict((oc) => oc.column("name").doNothing())
    .returningAll()
    .executeTakeFirst();
}

/**
 * Inserts the worker or, for an existing name, replaces its key (rotation),
 * reported capacity, zone, addresses and version, keeping its id, apps and
 * used capacity. One statement. A capacity below what is in use fails the
 * used-bounds CHECK (23514); a key registered to another worker fails 23505.
 */
export function upsertWorkerByName(db: Kysely<DB>, reg: WorkerRegistration): Promise<WorkerRow> {
  return db
    .insertInto("workers")
    .values(reg)
    .onConflict((oc) =>
      oc.column("name").doUpdateSet((eb) => ({
        api_key_hash: eb.ref("excluded.api_key_hash"),
        envelope_key_enc: eb.ref("excluded.envelope_key_enc"),
        zone: eb.ref("excluded.zone"),
        wireguard_ip: eb.ref("excluded.wireguard_ip"),
        public_ip: eb.ref("excluded.public_ip"),
        cpu_millicores: eb.ref("excluded.cpu_millicores"),
        memory_mb: eb.ref("excluded.memory_mb"),
        agent_version: eb.ref("excluded.agent_version"),
        updated_at: sql<Date>`now()`,
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The worker as the API shows it: never the key hash or the sealed envelope key. */
export function publicWorker(w: WorkerRow) {
  return {
    id: w.id,
    name: w.name,
    zone: w.zone,
    status: w.status,
    wireguard_ip: w.wireguard_ip,
    public_ip: w.public_ip,
    cpu_millicores: w.cpu_millicores,
    memory_mb: w.memory_mb,
    used_cpu_millicores: w.used_cpu_millicores,
    used_memory_mb: w.used_memory_mb,
    running_apps: w.running_apps,
    agent_version: w.agent_version,
    last_heartbeat: w.last_heartbeat ? w.last_heartbeat.toISOString() : null,
  };
}

export interface WorkerStats {
  workers_total: number;
  workers_online: number;
  workers_offline: number;
  cpu_millicores_total: number;
  cpu_millicores_used: number;
  memory_mb_total: number;
  memory_mb_used: number;
}

/** Fleet totals for GET /v1/stats, in one aggregate query. */
export async function getWorkerStats(db: Kysely<DB>): Promise<WorkerStats> {
  const row = await db
    .selectFrom("workers")
    .select([
      sql<number>`count(*)::int`.as("workers_total"),
      sql<number>`(count(*) FILTER (WHERE status = 'online'))::int`.as("workers_online"),
      sql<number>`coalesce(sum(cpu_millicores), 0)::int8`.as("cpu_millicores_total"),
      sql<number>`coalesce(sum(used_cpu_millicores), 0)::int8`.as("cpu_millicores_used"),
      sql<number>`coalesce(sum(memory_mb), 0)::int8`.as("memory_mb_total"),
      sql<number>`coalesce(sum(used_memory_mb), 0)::int8`.as("memory_mb_used"),
    ])
    .executeTakeFirstOrThrow();
  return { ...row, workers_offline: row.workers_total - row.workers_online };
}

/**
 * Gives back capacity a job or deployment reserved. GREATEST keeps the
 * counters at zero or above even if a release is applied twice.
 */
export async function releaseWorkerCapacity(
  db: Kysely<DB>,
  workerId: number,
  cpuMillicores: number,
  memoryMb: number,
): Promise<void> {
  await db
    .updateTable("workers")
    .set((eb) => ({
      used_cpu_millicores: sql<number>`GREATEST(${eb.ref("used_cpu_millicores")} - ${cpuMillicores}, 0)`,
      used_memory_mb: sql<number>`GREATEST(${eb.ref("used_memory_mb")} - ${memoryMb}, 0)`,
      updated_at: sql<Date>`now()`,
    }))
    .where("id", "=", workerId)
    .execute();
}

/** Marks a worker online with a fresh heartbeat (on connect). */
export async function markWorkerOnline(db: Kysely<DB>, workerId: number, now: Date): Promise<void> {
  await db
    .updateTable("workers")
    .set({ status: "online", last_heartbeat: now, updated_at: now })
    .where("id", "=", workerId)
    .execute();
}

/** How many workers are `online` now. */
export async function countOnlineWorkers(db: Kysely<DB>): Promise<number> {
  const row = await db
    .selectFrom("workers")
    .select(sql<number>`count(*)::int`.as("n"))
    .where("status", "=", "online")
    .executeTakeFirstOrThrow();
  return row.n;
}

/**
 * Marks offline, in one statement, the online workers whose last heartbeat
 * is older than `cutoff` (or that never sent one). The staleness test is in
 * the UPDATE itself, so a heartbeat flushed just before wins: its worker is
 * not marked. Returns the ids marked, ascending.
 */
export async function markStaleWorkersOffline(db: Kysely<DB>, cutoff: Date, now: Date): Promise<number[]> {
  const rows = await db
    .updateTable("workers")
    .set({ status: "offline", updated_at: now })
    .where("status", "=", "online")
    .where((eb) => eb.or([eb("last_heartbeat", "is", null), eb("last_heartbeat", "<", cutoff)]))
    .returning("id")
    .execute();
  return rows.map((r) => r.id).sort((a, b) => a - b);
}

export interface CapacityRelease {
  workerId: number;
  cpuMillicores: number;
  memoryMb: number;
}

/**
 * releaseWorkerCapacity for many releases in one statement: releases of the
 * same worker are summed first. GREATEST keeps the counters at zero or above.
 */
export async function releaseWorkerCapacities(
  db: Kysely<DB>,
  releases: readonly CapacityRelease[],
): Promise<void> {
  const byWorker = new Map<number, { cpu: number; memory: number }>();
  for (const r of releases) {
    const sum = byWorker.get(r.workerId) ?? { cpu: 0, memory: 0 };
    sum.cpu += r.cpuMillicores;
    sum.memory += r.memoryMb;
    byWorker.set(r.workerId, sum);
  }
  if (byWorker.size === 0) return;
  const ids = [...byWorker.keys()];
  const cpus = ids.map((id) => byWorker.get(id)?.cpu ?? 0);
  const memories = ids.map((id) => byWorker.get(id)?.memory ?? 0);
  await sql`
    UPDATE workers AS w
    SET used_cpu_millicores = GREATEST(w.used_cpu_millicores - r.cpu, 0),
        used_memory_mb = GREATEST(w.used_memory_mb - r.memory, 0),
        updated_at = now()
    FROM unnest(${ids}::int[], ${cpus}::int[], ${memories}::int[]) AS r(id, cpu, memory)
    WHERE w.id = r.id
  `.execute(db);
}
