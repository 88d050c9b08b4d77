import { sql, type Kysely } from "kysely";
import type { DB } from "../src/db/schema.js";
import { createLogger } from "../src/log.js";
import { Scheduler } from "../src/scheduler/scheduler.js";
import { checkFlags, intFlag } from "./args.js";
import { openBenchDatabase } from "./hub-db.js";
import { fmtInt, fmtNum } from "./util.js";

export const SCHEDULER_USAGE = "scheduler [--workers 1000] [--jobs 10000] [--database-url URL]";

/**
 * `npm run bench -- scheduler`: 1,000 online workers of mixed sizes and
 * 10,000 pending deploy jobs; the real Scheduler places them all (claim with
 * SKIP LOCKED, scoring, guarded reservations, host ports, NOTIFY), timed end
 * to end. Baseline, in the same run on the same database: a loop that claims
 * the same jobs with SKIP LOCKED in batches of 100 and marks them assigned,
 * with no scoring and no capacity work. Runs on in-memory PGlite, and also
 * on PostgreSQL when --database-url (or DATABASE_URL) names a server.
 */
export async function runScheduler(flags: Map<string, string>): Promise<void> {
  checkFlags(flags, ["workers", "jobs", "database-url"]);
  const workers = intFlag(flags, "workers", 1000);
  const jobs = intFlag(flags, "jobs", 10_000);
  const url = flags.get("database-url") ?? process.env.DATABASE_URL;
  for (const engine of url ? [url, undefined] : [undefined]) {
    await runOn(engine, workers, jobs);
  }
}

async function runOn(adminUrl: string | undefined, workers: number, jobs: number): Promise<void> {
  const log = createLogger("silent");
  const bench = await openBenchDatabase(adminUrl, log);
  const db = bench.db.kysely;
  try {
    await seed(db, workers, jobs);
    const scheduler = new Scheduler({ db, log, intervalMs: 1000 });
    const t0 = performance.now();
    const result = await scheduler.runOnce();
    const oursMs = performance.now() - t0;
    const overCommits = await countOverCommits(db);
    const placed = result.assigned.length;

    await resetPlacements(db);
    const t1 = performance.now();
    const baselinePlaced = await baseline(db, workers);
    const baseMs = performance.now() - t1;

    const ours = (placed / oursMs) * 1000;
    const base = (baselinePlaced / baseMs) * 1000;
    console.log(
      `scheduler on ${bench.db.engine === "postgres" ? "PostgreSQL" : "PGlite (embedded)"}: workers=${fmtInt(workers)} jobs=${fmtInt(jobs)}`,
    );
    console.log(
      `  ours:     ${fmtInt(placed)} placed in ${fmtNum(oursMs)} ms = ${fmtInt(ours)} placements/s, over-commits: ${overCommits}`,
    );
    console.log(
      `  baseline: ${fmtInt(baselinePlaced)} claimed+updated (SKIP LOCKED, no scoring) in ${fmtNum(baseMs)} ms = ${fmtInt(base)}/s`,
    );
    console.log(
      `  ratio ours/baseline: ${(ours / base).toFixed(2)}   (goal on PostgreSQL: >= 3,000 placements/s, 0 over-commits)`,
    );
  } finally {
    await bench.dispose();
  }
}

/** Workers of four sizes, apps and unplaced deployments, and one pending deploy job each, set-based. */
async function seed(db: Kysely<DB>, workers: number, jobs: number): Promise<void> {
  await sql`
    INSERT INTO workers (name, api_key_hash, envelope_key_enc, zone, status, cpu_millicores, memory_mb, last_heartbeat)
    SELECT 'bench-' || i, md5('k' || i) || md5('h' || i), 'x', 'default', 'online',
           (ARRAY[4000, 8000, 16000, 32000])[1 + i % 4], (ARRAY[8192, 16384, 32768, 65536])[1 + (i * 3) % 4], now()
    FROM generate_series(1, ${workers}) AS i`.execute(db);
  await sql`INSERT INTO users (email, password_hash, plan_name) VALUES ('bench@example.com', 'x', 'unlimited')`.execute(
    db,
  );
  await sql`
    INSERT INTO apps (user_id, name, slug, cpu_millicores, memory_mb)
    SELECT (SELECT id FROM users LIMIT 1), 'a', 'bench-' || i, (ARRAY[100, 250, 500])[1 + i % 3], (ARRAY[128, 256, 512])[1 + (i * 7) % 3]
    FROM generate_series(1, ${jobs}) AS i`.execute(db);
  await sql`
    INSERT INTO deployments (app_id, source_kind, image, cpu_millicores, memory_mb)
    SELECT id, 'image', 'localhost/bench:1', cpu_millicores, memory_mb FROM apps ORDER BY id`.execute(db);
  await sql`
    INSERT INTO jobs (app_id, deployment_id, type, priority, cpu_millicores, memory_mb)
    SELECT app_id, id, 'deploy', id % 5, cpu_millicores, memory_mb FROM deployments ORDER BY id`.execute(db);
}

async function countOverCommits(db: Kysely<DB>): Promise<number> {
  const r = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM workers w
    LEFT JOIN (SELECT worker_id, sum(cpu_millicores) AS cpu, sum(memory_mb) AS mem FROM deployments WHERE reserved GROUP BY worker_id) r
      ON r.worker_id = w.id
    WHERE w.used_cpu_millicores > w.cpu_millicores OR w.used_memory_mb > w.memory_mb
       OR w.used_cpu_millicores <> coalesce(r.cpu, 0) OR w.used_memory_mb <> coalesce(r.mem, 0)`.execute(db);
  return r.rows[0]?.n ?? -1;
}

async function resetPlacements(db: Kysely<DB>): Promise<void> {
  await sql`UPDATE jobs SET status = 'pending', worker_id = NULL, host_port = NULL, assigned_at = NULL`.execute(
    db,
  );
  await sql`UPDATE deployments SET worker_id = NULL, host_port = NULL, reserved = false`.execute(db);
  await sql`UPDATE workers SET used_cpu_millicores = 0, used_memory_mb = 0, running_apps = 0`.execute(db);
}

/** Claim-and-update in batches of 100 with SKIP LOCKED, round-robin workers: the floor of any placement loop. */
async function baseline(db: Kysely<DB>, workers: number): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await db.transaction().execute(async (trx) => {
      const r = await sql<{ id: number }>`
        WITH c AS (
          SELECT id FROM jobs WHERE status = 'pending' AND run_after <= now()
          ORDER BY priority DESC, created_at, id LIMIT 100 FOR UPDATE SKIP LOCKED)
        UPDATE jobs AS j SET status = 'assigned', worker_id = 1 + j.id % ${workers}, assigned_at = now()
        FROM c WHERE j.id = c.id RETURNING j.id`.execute(trx);
      return r.rows.length;
    });
    if (n === 0) return total;
    total += n;
  }
}
