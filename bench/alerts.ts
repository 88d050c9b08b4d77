import { sql, type Kysely } from "kysely";
import { AlertManager } from "../src/alerts/manager.js";
import { ThresholdPoller, type ThresholdTickResult } from "../src/alerts/threshold.js";
import { StatsStore, type LiveAppStats } from "../src/api/stats-store.js";
import { listEvaluableRules, RULE_ALERT_SOURCE_TYPE } from "../src/db/app-alert-rules.js";
import type { DB } from "../src/db/schema.js";
import { RecordingPublisher } from "../src/events/publisher.js";
import { createLogger } from "../src/log.js";
import { checkFlags, intFlag } from "./args.js";
import { openBenchDatabase } from "./hub-db.js";
import { fmtInt, fmtNum } from "./util.js";

export const ALERTS_USAGE = "alerts [--apps 10000] [--ticks 10] [--database-url URL]";

const TICK_MS = 30_000;
/** Long enough that no steady tick reaches a window: steady ticks change nothing. */
const SUSTAIN_MIN = 60;
/** One app in STRIDE has an active cpu alert; another one in STRIDE goes over in the storm. */
const STRIDE = 100;
const MIB = 1024 * 1024;

/**
 * `npm run bench -- alerts`: `--apps` running apps (default 10,000) with 3
 * enabled rules each (cpu, memory, offline; 60 min sustain), 1 % of them with
 * an active cpu alert, fresh stats for all in a real StatsStore. Times the
 * real ThresholdPoller.runOnce (advisory lock, the one rules query, the
 * judging of every rule) over `--ticks` steady ticks that change nothing,
 * and one storm tick in which 1 % of the apps fire and 1 % resolve.
 * Baseline, in the same run on the same database: the rules query alone.
 * Runs on in-memory PGlite, and also on PostgreSQL when --database-url (or
 * DATABASE_URL) names a server.
 */
export async function runAlerts(flags: Map<string, string>): Promise<void> {
  checkFlags(flags, ["apps", "ticks", "database-url"]);
  const apps = intFlag(flags, "apps", 10_000);
  const ticks = intFlag(flags, "ticks", 10);
  const url = flags.get("database-url") ?? process.env.DATABASE_URL;
  for (const engine of url ? [url, undefined] : [undefined]) {
    await runOn(engine, apps, ticks);
  }
}

async function runOn(adminUrl: string | undefined, apps: number, ticks: number): Promise<void> {
  const log = createLogger("silent");
  const bench = await openBenchDatabase(adminUrl, log);
  const db = bench.db.kysely;
  try {
    await seed(db, apps);
    const appIds = (await db.selectFrom("apps").select("id").orderBy("id").execute()).map((r) => r.id);
    let clock = Date.parse("2031-01-01T00:00:00Z");
    const now = () => new Date(clock);
    const stats = new StatsStore({ now: () => clock });
    const report = (overFor: (appId: number) => boolean) => {
      for (const id of appIds) stats.put(id, liveStats(overFor(id) ? 95 : 20, now()));
    };
    const publisher = new RecordingPublisher();
    const poller = (): ThresholdPoller =>
      new ThresholdPoller({
        db,
        stats: { appStatsLive: (id) => stats.get(id) }, // what Hub.appStatsLive does
        manager: new AlertManager({ db, publisher, now }),
        log,
        now,
        intervalMs: TICK_MS,
      });

    // Steady state: the first tick warms up; none of the ticks reaches the 5 min window.
    const steady = poller();
    const tickMs: number[] = [];
    const tickCpuMs: number[] = [];
    let last: ThresholdTickResult | undefined;
    for (let i = 0; i <= ticks; i++) {
      report(() => false);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      last = await steady.runOnce();
      const cpu = process.cpuUsage(cpu0);
      if (i > 0) {
        tickMs.push(performance.now() - t0);
        tickCpuMs.push((cpu.user + cpu.system) / 1000);
      }
      clock += TICK_MS;
    }
    const changed = publisher.events.length;

    const queryMs: number[] = [];
    let rules = 0;
    for (let i = 0; i <= ticks; i++) {
      const t0 = performance.now();
      rules = (await listEvaluableRules(db)).length;
      if (i > 0) queryMs.push(performance.now() - t0);
    }

    // Storm: a fresh poller sees 1 % of the apps over and the 1 % firing under, then again a window later.
    const storm = poller();
    const over = (id: number) => id % STRIDE === STRIDE / 2;
    report(over);
    await storm.runOnce();
    clock += SUSTAIN_MIN * 60_000;
    report(over);
    const t0 = performance.now();
    const stormResult = await storm.runOnce();
    const stormMs = performance.now() - t0;

    const tick = median(tickMs);
    const query = median(queryMs);
    console.log(
      `alerts on ${bench.db.engine === "postgres" ? "PostgreSQL" : "PGlite (embedded)"}: running apps=${fmtInt(apps)} rules=${fmtInt(rules)}`,
    );
    console.log(
      `  ours:     one tick (lock + rules query + judge ${fmtInt(last?.evaluated ?? 0)} rules): median ${fmtNum(tick)} ms, ` +
        `min ${fmtNum(Math.min(...tickMs))}, max ${fmtNum(Math.max(...tickMs))} over ${tickMs.length} ticks; alerts changed: ${changed}`,
    );
    console.log(
      `            this process's CPU time per tick: median ${fmtNum(median(tickCpuMs))} ms ` +
        (bench.db.engine === "postgres"
          ? "(the server's is not counted)"
          : "(PGlite's included: it runs in-process)"),
    );
    console.log(`  baseline: the rules query alone: median ${fmtNum(query)} ms over ${queryMs.length} runs`);
    console.log(
      `  ratio tick/query: ${(tick / query).toFixed(2)}   (goal: one tick <= 200 ms: ${tick <= 200 ? "met" : "MISSED"})`,
    );
    console.log(
      `  storm tick: ${stormResult.fired.length} fired + ${stormResult.resolved.length} resolved in ${fmtNum(stormMs)} ms`,
    );
  } finally {
    await bench.dispose();
  }
}

function liveStats(cpuPct: number, at: Date): LiveAppStats {
  return {
    cpuPct,
    memBytes: 64 * MIB,
    memLimit: 256 * MIB,
    netMbps: 1,
    netTotalBytes: 1_000_000,
    diskMbps: 0.5,
    updatedAt: at,
  };
}

/** Users, online workers, running apps spread over them, 3 rules per app, 1 % of cpu alerts active. Set-based. */
async function seed(db: Kysely<DB>, apps: number): Promise<void> {
  const fleet = Math.max(1, Math.ceil(apps / 100));
  await sql`
    INSERT INTO users (email, password_hash, plan_name)
    SELECT 'bench' || i || '@example.com', '!', 'unlimited' FROM generate_series(1, ${fleet}) AS i`.execute(
    db,
  );
  await sql`
    INSERT INTO workers (name, api_key_hash, envelope_key_enc, status, cpu_millicores, memory_mb, last_heartbeat)
    SELECT 'bench-' || i, md5('k' || i) || md5('h' || i), 'x', 'online', 64000, 262144, now()
    FROM generate_series(1, ${fleet}) AS i`.execute(db);
  await sql`
    INSERT INTO apps (user_id, name, slug, status, cpu_millicores, memory_mb, worker_id)
    SELECT (SELECT min(id) FROM users) + i % ${fleet}, 'bench ' || i, 'bench-' || i, 'running', 100, 256,
           (SELECT min(id) FROM workers) + i % ${fleet}
    FROM generate_series(1, ${apps}) AS i`.execute(db);
  await sql`
    INSERT INTO app_alert_rules (app_id, kind, threshold, sustain_minutes)
    SELECT a.id, k.kind, k.threshold, ${SUSTAIN_MIN}
    FROM apps a CROSS JOIN (VALUES ('cpu', 80.0), ('memory', 90.0), ('offline', 0.0)) AS k(kind, threshold)`.execute(
    db,
  );
  await sql`
    INSERT INTO alerts (user_id, app_id, kind, source_type, source_id, title, threshold, sustain_minutes)
    SELECT user_id, id, 'cpu', ${RULE_ALERT_SOURCE_TYPE}, id || ':cpu', 'bench', 80, ${SUSTAIN_MIN}
    FROM apps WHERE id % ${STRIDE} = 0`.execute(db);
  await sql`ANALYZE`.execute(db);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
