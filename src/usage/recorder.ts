import type { Kysely } from "kysely";
import type { LiveAppStats } from "../api/stats-store.js";
import { listRunningAppOwners, lockExistingAppIds } from "../db/apps.js";
import type { DB } from "../db/schema.js";
import { pruneUsageSamples, upsertUsageSamples } from "../db/usage-samples.js";
import type { Service } from "../lifecycle.js";
import { Loop, type LoopLogger } from "../loop.js";
import { BUCKET_MS, bucketStart, toUsageSample, UsageAccumulator, type BucketTotals } from "./accumulator.js";

export { BUCKET_MS, bucketStart } from "./accumulator.js";

const DAY_MS = 24 * 60 * 60 * 1000;
/** How often old buckets are pruned unless `pruneIntervalMs` says otherwise. */
export const USAGE_PRUNE_INTERVAL_MS = DAY_MS;
/**
 * Rows per INSERT: 11 parameters each, so 5,000 rows stay under Postgres's
 * 65,535 bind parameters. A larger batch is split into several statements in
 * one transaction.
 */
export const MAX_ROWS_PER_STATEMENT = 5000;

/** Where live stats come from: the Hub (`hub.appStatsLive`) in production, a fake in tests. */
export interface LiveStatsReader {
  appStatsLive(appId: number): LiveAppStats | undefined;
}

export interface UsageRecorderOptions {
  db: Kysely<DB>;
  stats: LiveStatsReader;
  log: LoopLogger & { info(obj: object, msg: string): void };
  now?: () => Date;
  /** `usage.sample_interval_s` × 1000. */
  sampleIntervalMs: number;
  /** `usage.retention_days`: buckets that started longer ago are pruned. */
  retentionDays: number;
  /** Default USAGE_PRUNE_INTERVAL_MS (daily). */
  pruneIntervalMs?: number;
  /** Default MAX_ROWS_PER_STATEMENT; tests lower it to exercise a split batch. */
  maxRowsPerStatement?: number;
}

export interface WriteResult {
  /** usage_samples rows inserted or merged. */
  written: number;
  /** Buckets of apps deleted before they could be written (nothing left to attach them to). */
  dropped: number;
}

export interface SampleResult extends WriteResult {
  /** The bucket this tick's readings went into (still open). */
  bucketStart: Date;
  /** Running apps that had fresh live stats and were counted. */
  sampled: number;
}

/**
 * The reference's usage recorder: samples every running app's live stats
 * into 5-minute UTC buckets held in memory, and writes a bucket once it has
 * finished.
 *
 * Contract:
 * - each sample tick reads the running apps in one query and adds the live
 *   stats of those that have them; apps without fresh stats are skipped;
 * - when the clock has moved past a bucket, every finished bucket of every
 *   app (also of apps no longer running) is written in one transaction: the
 *   existing apps' rows locked FOR KEY SHARE, then one upsert per
 *   MAX_ROWS_PER_STATEMENT rows. A row already stored for the same
 *   (app, bucket), by another replica or an earlier run, is merged into
 *   (upsertUsageSamples), never overwritten. Buckets of deleted apps are
 *   dropped. A failed write puts the buckets back to retry at the next tick
 *   (held in memory meanwhile), so nothing is lost or counted twice;
 * - stop() waits for the tick in flight, then writes the open buckets too.
 *   A later run writing more of the same bucket adds to that row. Traffic
 *   between the last reading before a stop and the first after a start is
 *   not counted (the first reading of an app only sets its counter base);
 * - a prune tick, at start and then every pruneIntervalMs, deletes buckets
 *   that started more than retentionDays ago.
 *
 * Every replica runs one: each samples the apps whose workers it holds, so
 * their rows for a bucket are merged rather than duplicated.
 */
export class UsageRecorder implements Service {
  readonly name = "usage-recorder";
  private readonly acc = new UsageAccumulator();
  private readonly now: () => Date;
  private readonly sampleLoop: Loop<SampleResult>;
  private readonly pruneLoop: Loop<number>;
  /** Counters of apps unseen for this long are forgotten (memory stays bounded to recent apps). */
  private readonly counterTtlMs: number;

  constructor(private readonly opts: UsageRecorderOptions) {
    this.now = opts.now ?? ((): Date => new Date());
    this.counterTtlMs = Math.max(2 * BUCKET_MS, 3 * opts.sampleIntervalMs);
    this.sampleLoop = new Loop({
      name: "usage-sample",
      intervalMs: opts.sampleIntervalMs,
      log: opts.log,
      tick: () => this.runOnce(),
    });
    this.pruneLoop = new Loop({
      name: "usage-prune",
      intervalMs: opts.pruneIntervalMs ?? USAGE_PRUNE_INTERVAL_MS,
      runImmediately: true,
      log: opts.log,
      tick: () => this.pruneOnce(),
    });
  }

  /** One sample tick: read, accumulate, then write the buckets that have finished. */
  async runOnce(): Promise<SampleResult> {
    const now = this.now();
    const current = bucketStart(now);
    const apps = await listRunningAppOwners(this.opts.db);
    let sampled = 0;
    for (const app of apps) {
      const stats = this.opts.stats.appStatsLive(app.id);
      if (stats && this.acc.add(app.id, app.user_id, now, stats)) sampled += 1;
    }
    this.acc.forgetCountersSeenBefore(new Date(now.getTime() - this.counterTtlMs));
    const result = await this.write(this.acc.take(current));
    return { bucketStart: current, sampled, ...result };
  }

  /** Writes every bucket held, finished or not (what stop() does after the loops end). */
  flush(): Promise<WriteResult> {
    return this.write(this.acc.take());
  }

  /** One prune tick: deletes buckets that started more than retentionDays ago. Returns how many. */
  async pruneOnce(): Promise<number> {
    const cutoff = new Date(this.now().getTime() - this.opts.retentionDays * DAY_MS);
    const deleted = await pruneUsageSamples(this.opts.db, cutoff);
    if (deleted > 0) this.opts.log.info({ deleted, cutoff }, "pruned usage samples");
    return deleted;
  }

  /** (app, bucket) totals held in memory, for tests and metrics. */
  get pendingBuckets(): number {
    return this.acc.size;
  }

  async start(): Promise<void> {
    await this.sampleLoop.start();
    await this.pruneLoop.start();
  }

  /** Idempotent; safe before start. Rejects when the final write fails (the buckets stay held). */
  async stop(): Promise<void> {
    await Promise.all([this.sampleLoop.stop(), this.pruneLoop.stop()]);
    const { written, dropped } = await this.flush();
    if (written + dropped > 0) this.opts.log.info({ written, dropped }, "usage buckets flushed on stop");
  }

  /**
   * Writes `totals` (at most one per app and bucket, as `take` returns them)
   * atomically. On failure they are restored to the accumulator and the
   * error is rethrown.
   */
  private async write(totals: BucketTotals[]): Promise<WriteResult> {
    if (totals.length === 0) return { written: 0, dropped: 0 };
    const maxRows = this.opts.maxRowsPerStatement ?? MAX_ROWS_PER_STATEMENT;
    try {
      return await this.opts.db.transaction().execute(async (trx) => {
        const existing = new Set(await lockExistingAppIds(trx, [...new Set(totals.map((t) => t.appId))]));
        const rows = totals.filter((t) => existing.has(t.appId)).map(toUsageSample);
        for (let i = 0; i < rows.length; i += maxRows) {
          await upsertUsageSamples(trx, rows.slice(i, i + maxRows));
        }
        return { written: rows.length, dropped: totals.length - rows.length };
      });
    } catch (err) {
      this.acc.restore(totals);
      throw err;
    }
  }
}
