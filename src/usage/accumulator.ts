import type { NewUsageSample } from "../db/usage-samples.js";

/** Width of one usage bucket: 5 minutes, aligned to the UTC epoch. */
export const BUCKET_MS = 5 * 60 * 1000;

/**
 * The start of the 5-minute bucket holding `date`: the instant truncated to a
 * multiple of BUCKET_MS since the epoch, which is UTC whatever the local time
 * zone. Throws RangeError on an invalid Date.
 */
export function bucketStart(date: Date): Date {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw new RangeError("bucketStart: invalid date");
  return new Date(Math.floor(ms / BUCKET_MS) * BUCKET_MS);
}

/** One app's live reading, as far as usage is concerned. */
export interface UsageReading {
  cpuPct: number;
  memBytes: number;
  netMbps: number;
  /** The container's cumulative network byte counter; it restarts at 0 with the container. */
  netTotalBytes: number;
}

/** What one (app, bucket) has accumulated: sums for the averages, maxima, and the byte delta. */
export interface BucketTotals {
  appId: number;
  userId: number;
  bucketStart: Date;
  samples: number;
  cpuSum: number;
  cpuMax: number;
  memSum: number;
  memMax: number;
  netSum: number;
  netMax: number;
  netBytesDelta: number;
}

/**
 * Bytes transferred between two readings of a cumulative counter. The first
 * reading (no previous) counts 0: what came before it is unknown, and
 * counting the whole counter would count it again after every restart of the
 * control plane. A counter lower than before means the container restarted
 * and its counter began again at 0, so the new value is all new traffic.
 * Never negative.
 */
export function netDelta(previous: number | undefined, current: number): number {
  if (previous === undefined) return 0;
  return current >= previous ? current - previous : current;
}

/** `a` and `b` (same app and bucket) as one: sums added, maxima the greater. */
export function mergeTotals(a: BucketTotals, b: BucketTotals): BucketTotals {
  return {
    appId: a.appId,
    userId: a.userId,
    bucketStart: a.bucketStart,
    samples: a.samples + b.samples,
    cpuSum: a.cpuSum + b.cpuSum,
    cpuMax: Math.max(a.cpuMax, b.cpuMax),
    memSum: a.memSum + b.memSum,
    memMax: Math.max(a.memMax, b.memMax),
    netSum: a.netSum + b.netSum,
    netMax: Math.max(a.netMax, b.netMax),
    netBytesDelta: a.netBytesDelta + b.netBytesDelta,
  };
}

/** The usage_samples row for `t` (averages are sum / samples; samples is ≥ 1 by construction). */
export function toUsageSample(t: BucketTotals): NewUsageSample {
  return {
    app_id: t.appId,
    user_id: t.userId,
    bucket_start: t.bucketStart,
    samples: t.samples,
    cpu_pct_avg: t.cpuSum / t.samples,
    cpu_pct_max: t.cpuMax,
    mem_bytes_avg: t.memSum / t.samples,
    mem_bytes_max: t.memMax,
    net_mbps_avg: t.netSum / t.samples,
    net_mbps_max: t.netMax,
    net_bytes_delta: t.netBytesDelta,
  };
}

function isValidReading(r: UsageReading): boolean {
  return [r.cpuPct, r.memBytes, r.netMbps, r.netTotalBytes].every((v) => Number.isFinite(v) && v >= 0);
}

interface Counter {
  bytes: number;
  seenAtMs: number;
}

/**
 * In-memory usage totals per (app, 5-minute bucket), plus each app's last
 * network counter. Pure: no I/O, time only as the arguments say.
 *
 * Contract:
 * - a reading lands in the bucket of its `at`; an app's totals for one bucket
 *   stay separate from its other buckets, so an app that stops reporting keeps
 *   its partial bucket until `take` hands it out;
 * - the byte delta of a reading (see netDelta) counts in the reading's bucket,
 *   also when the previous reading was in an earlier bucket;
 * - a reading with a non-finite or negative number is ignored whole (the
 *   protocol schema already refuses those; one must never poison a batch
 *   that the database would then refuse);
 * - the last counter is kept per app across buckets until forgotten with
 *   `forgetCountersSeenBefore`, which bounds memory to recently seen apps.
 */
export class UsageAccumulator {
  readonly #buckets = new Map<number, Map<number, BucketTotals>>();
  readonly #counters = new Map<number, Counter>();

  /** Adds one reading of `appId` taken at `at`. False when it was ignored as invalid. */
  add(appId: number, userId: number, at: Date, reading: UsageReading): boolean {
    if (!isValidReading(reading)) return false;
    const start = bucketStart(at);
    const counter = this.#counters.get(appId);
    const delta = netDelta(counter?.bytes, reading.netTotalBytes);
    this.#counters.set(appId, { bytes: reading.netTotalBytes, seenAtMs: at.getTime() });
    this.#merge({
      appId,
      userId,
      bucketStart: start,
      samples: 1,
      cpuSum: reading.cpuPct,
      cpuMax: reading.cpuPct,
      memSum: reading.memBytes,
      memMax: reading.memBytes,
      netSum: reading.netMbps,
      netMax: reading.netMbps,
      netBytesDelta: delta,
    });
    return true;
  }

  /**
   * Removes and returns the totals of every bucket that starts before
   * `before` (every bucket when omitted), ordered by bucket, then app.
   * Counters are kept.
   */
  take(before?: Date): BucketTotals[] {
    const limit = before?.getTime() ?? Infinity;
    const starts = [...this.#buckets.keys()].filter((s) => s < limit).sort((a, b) => a - b);
    const out: BucketTotals[] = [];
    for (const start of starts) {
      const apps = this.#buckets.get(start);
      this.#buckets.delete(start);
      if (apps) out.push(...[...apps.values()].sort((a, b) => a.appId - b.appId));
    }
    return out;
  }

  /**
   * Puts back totals that `take` handed out and could not be written, merged
   * with anything added to the same (app, bucket) since. Counters are not
   * touched: the deltas are already in the totals.
   */
  restore(totals: readonly BucketTotals[]): void {
    for (const t of totals) this.#merge(t);
  }

  /** Forgets the counters of apps last seen before `cutoff`; returns how many. */
  forgetCountersSeenBefore(cutoff: Date): number {
    const limit = cutoff.getTime();
    let forgotten = 0;
    for (const [appId, counter] of this.#counters) {
      if (counter.seenAtMs < limit) {
        this.#counters.delete(appId);
        forgotten += 1;
      }
    }
    return forgotten;
  }

  /** (app, bucket) totals held, for tests and metrics. */
  get size(): number {
    let n = 0;
    for (const apps of this.#buckets.values()) n += apps.size;
    return n;
  }

  #merge(t: BucketTotals): void {
    const start = t.bucketStart.getTime();
    let apps = this.#buckets.get(start);
    if (!apps) {
      apps = new Map();
      this.#buckets.set(start, apps);
    }
    const held = apps.get(t.appId);
    apps.set(t.appId, held ? mergeTotals(held, t) : { ...t, bucketStart: new Date(start) });
  }
}
