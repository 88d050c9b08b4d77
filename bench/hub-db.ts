import { randomBytes } from "node:crypto";
import pg from "pg";
import { BUILTIN_PLANS } from "../src/config/schema.js";
import { openDatabase, type Database } from "../src/db/database.js";
import { migrateToLatest } from "../src/db/migrate.js";
import { upsertPlans } from "../src/db/plans.js";
import type { Logger } from "../src/log.js";

/** Rows per INSERT when seeding. */
const BATCH = 1000;

export interface BenchDatabase {
  db: Database;
  /** Closes the handle and, on PostgreSQL, drops the scratch database. */
  dispose(): Promise<void>;
}

/**
 * A fresh, migrated database with the built-in plans: in-memory PGlite, or,
 * given `adminUrl`, a scratch database created on that PostgreSQL server
 * (and dropped by dispose), so a run never writes into an existing database.
 */
export async function openBenchDatabase(adminUrl: string | undefined, log: Logger): Promise<BenchDatabase> {
  let db: Database;
  let dispose: () => Promise<void>;
  if (adminUrl) {
    const name = `wh_bench_${randomBytes(6).toString("hex")}`;
    await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    try {
      db = await openDatabase({ engine: "postgres", url: url.toString(), poolSize: 10 }, log);
    } catch (err) {
      await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      throw err;
    }
    dispose = async () => {
      await db.close();
      await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    };
  } else {
    db = await openDatabase({ engine: "pglite", dataDir: undefined }, log);
    dispose = () => db.close();
  }
  try {
    await migrateToLatest(db, log);
    await upsertPlans(db.kysely, BUILTIN_PLANS);
  } catch (err) {
    await dispose();
    throw err;
  }
  return { db, dispose };
}

/**
 * Creates one user and `perWorker` apps placed on each worker (so the hub
 * counts their app_stats as the worker's own). Returns the app ids per
 * worker, in the order of `workerIds`.
 */
export async function seedApps(
  db: Database,
  workerIds: readonly number[],
  perWorker: number,
): Promise<number[][]> {
  const user = await db.kysely
    .insertInto("users")
    .values({ email: "bench@example.com", password_hash: "!", plan_name: "unlimited" })
    .returning("id")
    .executeTakeFirstOrThrow();
  const rows = workerIds.flatMap((workerId) =>
    Array.from({ length: perWorker }, (_, k) => ({
      user_id: user.id,
      name: `bench ${workerId}-${k}`,
      slug: `bench-${workerId}-${k}`,
      cpu_millicores: 100,
      memory_mb: 64,
      worker_id: workerId,
    })),
  );
  const byWorker = new Map<number, number[]>(workerIds.map((id) => [id, []]));
  for (let i = 0; i < rows.length; i += BATCH) {
    const inserted = await db.kysely
      .insertInto("apps")
      .values(rows.slice(i, i + BATCH))
      .returning(["id", "worker_id"])
      .execute();
    for (const r of inserted) if (r.worker_id !== null) byWorker.get(r.worker_id)?.push(r.id);
  }
  return workerIds.map((id) => byWorker.get(id) ?? []);
}

async function adminQuery(adminUrl: string, text: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(text);
  } finally {
    await admin.end();
  }
}
