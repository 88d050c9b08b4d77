import { sql, type Insertable, type Kysely, type RawBuilder, type Selectable } from "kysely";
import type { DB, UsageSamplesTable } from "./schema.js";

export type UsageSampleRow = Selectable<UsageSamplesTable>;
export type NewUsageSample = Insertable<UsageSamplesTable>;

type AveragedColumn = "cpu_pct_avg" | "mem_bytes_avg" | "net_mbps_avg";
type MaxColumn = "cpu_pct_max" | "mem_bytes_max" | "net_mbps_max";

/** The stored and incoming averages combined, each weighted by its sample count. */
function weightedAverage(column: AveragedColumn): RawBuilder<number> {
  const stored = sql.ref(`usage_samples.${column}`);
  const incoming = sql.ref(`excluded.${column}`);
  return sql<number>`(${stored} * usage_samples.samples + ${incoming} * excluded.samples)
    / (usage_samples.samples + excluded.samples)`;
}

function greatest(column: MaxColumn): RawBuilder<number> {
  return sql<number>`GREATEST(${sql.ref(`usage_samples.${column}`)}, ${sql.ref(`excluded.${column}`)})`;
}

/**
 * Writes usage buckets in one statement. A bucket already stored for the same
 * (app_id, bucket_start) is merged, not replaced: samples and net_bytes_delta
 * are summed, averages weighted by samples, maxima take the greater; user_id
 * keeps its stored value. Contract: at most one row per (app_id, bucket_start)
 * in `rows` (Postgres refuses to update one row twice in a statement, 21000).
 */
export async function upsertUsageSamples(db: Kysely<DB>, rows: readonly NewUsageSample[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto("usage_samples")
    .values([...rows])
    .onConflict((oc) =>
      oc.columns(["app_id", "bucket_start"]).doUpdateSet({
        // Every right-hand side reads the row as it was before this update.
        samples: sql<number>`usage_samples.samples + excluded.samples`,
        cpu_pct_avg: weightedAverage("cpu_pct_avg"),
        cpu_pct_max: greatest("cpu_pct_max"),
        mem_bytes_avg: weightedAverage("mem_bytes_avg"),
        mem_bytes_max: greatest("mem_bytes_max"),
        net_mbps_avg: weightedAverage("net_mbps_avg"),
        net_mbps_max: greatest("net_mbps_max"),
        net_bytes_delta: sql<number>`usage_samples.net_bytes_delta + excluded.net_bytes_delta`,
      }),
    )
    .execute();
}

/** The app's buckets starting at or after `since`, oldest first. */
export function listUsageSamplesByApp(db: Kysely<DB>, appId: number, since: Date): Promise<UsageSampleRow[]> {
  return db
    .selectFrom("usage_samples")
    .selectAll()
    .where("app_id", "=", appId)
    .where("bucket_start", ">=", since)
    .orderBy("bucket_start")
    .execute();
}

/** Deletes buckets starting before `cutoff`. Returns how many were deleted. */
export async function pruneUsageSamples(db: Kysely<DB>, cutoff: Date): Promise<number> {
  const result = await db.deleteFrom("usage_samples").where("bucket_start", "<", cutoff).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * The app's buckets starting in [from, to), oldest first. Callers align
 * `from` down to a bucket start to include the bucket that covers it.
 */
export function listUsageSamplesInRange(
  db: Kysely<DB>,
  appId: number,
  from: Date,
  to: Date,
): Promise<UsageSampleRow[]> {
  return db
    .selectFrom("usage_samples")
    .selectAll()
    .where("app_id", "=", appId)
    .where("bucket_start", ">=", from)
    .where("bucket_start", "<", to)
    .orderBy("bucket_start")
    .execute();
}
