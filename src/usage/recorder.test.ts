import type { KyselyPlugin } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeApp, makeUser } from "../../test/helpers/db-fixtures.js";
import { createTestDatabase, silentLog, type TestDatabase } from "../../test/helpers/test-db.js";
import type { LiveAppStats } from "../api/stats-store.js";
import { deleteApp, setAppStatusIfChanged, type AppRow } from "../db/apps.js";
import {
  listUsageSamplesByApp,
  upsertUsageSamples,
  type NewUsageSample,
  type UsageSampleRow,
} from "../db/usage-samples.js";
import {
  BUCKET_MS,
  bucketStart,
  UsageRecorder,
  type LiveStatsReader,
  type UsageRecorderOptions,
} from "./recorder.js";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.dispose());

const db = () => t.db.kysely;
const MINUTE = 60_000;

/** Live stats the test sets per app; absent means no fresh snapshot. */
class FakeStats implements LiveStatsReader {
  readonly byApp = new Map<number, LiveAppStats>();
  set(appId: number, s: Partial<LiveAppStats>): void {
    this.byApp.set(appId, {
      cpuPct: 0,
      memBytes: 0,
      memLimit: 1 << 30,
      netMbps: 0,
      netTotalBytes: 0,
      diskMbps: 0,
      updatedAt: new Date(0),
      ...s,
    });
  }
  appStatsLive(appId: number): LiveAppStats | undefined {
    return this.byApp.get(appId);
  }
}

/** A recorder on a hand-moved clock. */
function setup(start: string, overrides: Partial<UsageRecorderOptions> = {}) {
  const stats = new FakeStats();
  let clock = new Date(start);
  const recorder = new UsageRecorder({
    db: db(),
    stats,
    log: silentLog,
    now: () => clock,
    sampleIntervalMs: MINUTE,
    retentionDays: 90,
    pruneIntervalMs: 24 * 60 * MINUTE,
    ...overrides,
  });
  const at = (iso: string) => {
    clock = new Date(iso);
  };
  return { stats, recorder, at };
}

async function runningApp(): Promise<AppRow> {
  const user = await makeUser(db());
  return makeApp(db(), user.id, { status: "running" });
}

const rowsOf = (app: AppRow): Promise<UsageSampleRow[]> => listUsageSamplesByApp(db(), app.id, new Date(0));

describe("UsageRecorder sampling", () => {
  it("writes a bucket only once the clock has moved past it, with exact averages and maxima", async () => {
    const app = await runningApp();
    const { stats, recorder, at } = setup("2030-06-01T12:01:00Z");

    stats.set(app.id, { cpuPct: 10, memBytes: 1000, netMbps: 1, netTotalBytes: 10_000 });
    expect(await recorder.runOnce()).toMatchObject({ sampled: 1, written: 0, dropped: 0 });
    at("2030-06-01T12:02:00Z");
    stats.set(app.id, { cpuPct: 20, memBytes: 3000, netMbps: 5, netTotalBytes: 12_000 });
    await recorder.runOnce();
    at("2030-06-01T12:04:59Z");
    stats.set(app.id, { cpuPct: 60, memBytes: 2000, netMbps: 3, netTotalBytes: 15_000 });
    await recorder.runOnce();
    expect(await rowsOf(app)).toEqual([]);

    at("2030-06-01T12:05:30Z");
    stats.set(app.id, { cpuPct: 99, memBytes: 9999, netMbps: 9, netTotalBytes: 16_000 });
    const rollover = await recorder.runOnce();
    expect(rollover).toEqual({
      bucketStart: new Date("2030-06-01T12:05:00Z"),
      sampled: 1,
      written: 1,
      dropped: 0,
    });
    expect(await rowsOf(app)).toEqual([
      {
        app_id: app.id,
        user_id: app.user_id,
        bucket_start: new Date("2030-06-01T12:00:00Z"),
        samples: 3,
        cpu_pct_avg: 30,
        cpu_pct_max: 60,
        mem_bytes_avg: 2000,
        mem_bytes_max: 3000,
        net_mbps_avg: 3,
        net_mbps_max: 5,
        net_bytes_delta: 5000, // 0 (base) + 2000 + 3000
      },
    ]);
    expect(recorder.pendingBuckets).toBe(1); // 12:05, still open

    // Two buckets later: the 12:05 bucket (one reading, delta 1000) is written; 12:10 had no tick.
    at("2030-06-01T12:15:10Z");
    stats.byApp.delete(app.id);
    expect(await recorder.runOnce()).toMatchObject({ sampled: 0, written: 1 });
    const rows = await rowsOf(app);
    expect(
      rows.map((r) => [r.bucket_start.toISOString(), r.samples, r.cpu_pct_max, r.net_bytes_delta]),
    ).toEqual([
      ["2030-06-01T12:00:00.000Z", 3, 60, 5000],
      ["2030-06-01T12:05:00.000Z", 1, 99, 1000],
    ]);
    expect(recorder.pendingBuckets).toBe(0);
  });

  it("counts a counter reset from zero and never writes a negative delta", async () => {
    const app = await runningApp();
    const { stats, recorder, at } = setup("2030-06-01T13:00:00Z");
    const counters = [50_000, 80_000, 1_000, 4_000]; // the container restarted before the third
    for (const [i, netTotalBytes] of counters.entries()) {
      at(new Date(Date.parse("2030-06-01T13:00:00Z") + i * MINUTE).toISOString());
      stats.set(app.id, { netTotalBytes });
      await recorder.runOnce();
    }
    at("2030-06-01T13:05:00Z");
    stats.set(app.id, { netTotalBytes: 0 }); // and again: 0 counts as 0
    await recorder.runOnce();
    at("2030-06-01T13:10:00Z");
    await recorder.runOnce();

    const rows = await rowsOf(app);
    expect(rows.map((r) => r.net_bytes_delta)).toEqual([30_000 + 1_000 + 3_000, 0]);
  });

  it("merges into a row another replica already wrote for the bucket", async () => {
    const app = await runningApp();
    const bucket = new Date("2030-06-01T14:00:00Z");
    const other: NewUsageSample = {
      app_id: app.id,
      user_id: app.user_id,
      bucket_start: bucket,
      samples: 2,
      cpu_pct_avg: 10,
      cpu_pct_max: 80,
      mem_bytes_avg: 1000,
      mem_bytes_max: 1500,
      net_mbps_avg: 4,
      net_mbps_max: 4,
      net_bytes_delta: 700,
    };
    await upsertUsageSamples(db(), [other]);

    const { stats, recorder, at } = setup("2030-06-01T14:01:00Z");
    stats.set(app.id, { cpuPct: 40, memBytes: 4000, netMbps: 1, netTotalBytes: 100 });
    await recorder.runOnce();
    at("2030-06-01T14:02:00Z");
    stats.set(app.id, { cpuPct: 20, memBytes: 2000, netMbps: 1, netTotalBytes: 400 });
    await recorder.runOnce();
    at("2030-06-01T14:05:00Z");
    stats.byApp.delete(app.id);
    await recorder.runOnce();

    expect(await rowsOf(app)).toEqual([
      {
        app_id: app.id,
        user_id: app.user_id,
        bucket_start: bucket,
        samples: 4,
        cpu_pct_avg: 20, // (10·2 + 30·2) / 4
        cpu_pct_max: 80,
        mem_bytes_avg: 2000, // (1000·2 + 3000·2) / 4
        mem_bytes_max: 4000,
        net_mbps_avg: 2.5, // (4·2 + 1·2) / 4
        net_mbps_max: 4,
        net_bytes_delta: 1000, // 700 + 300
      },
    ]);
  });

  it("writes the partial bucket of an app that stopped running mid-bucket", async () => {
    const stopping = await runningApp();
    const staying = await runningApp();
    const { stats, recorder, at } = setup("2030-06-01T15:01:00Z");
    stats.set(stopping.id, { cpuPct: 12 });
    stats.set(staying.id, { cpuPct: 34 });
    expect(await recorder.runOnce()).toMatchObject({ sampled: 2 });

    await setAppStatusIfChanged(db(), stopping.id, "stopped", new Date("2030-06-01T15:01:30Z"));
    at("2030-06-01T15:02:00Z");
    // Its stats may linger in the store for a while; a stopped app is not sampled.
    expect(await recorder.runOnce()).toMatchObject({ sampled: 1 });
    stats.byApp.delete(stopping.id);

    at("2030-06-01T15:05:00Z");
    expect(await recorder.runOnce()).toMatchObject({ sampled: 1, written: 2 });
    expect((await rowsOf(stopping)).map((r) => [r.samples, r.cpu_pct_avg])).toEqual([[1, 12]]);
    expect((await rowsOf(staying)).map((r) => [r.samples, r.cpu_pct_avg])).toEqual([[2, 34]]);
  });

  it("skips running apps without fresh stats", async () => {
    const app = await runningApp();
    const { recorder, at } = setup("2030-06-01T16:01:00Z");
    expect(await recorder.runOnce()).toMatchObject({ sampled: 0 });
    at("2030-06-01T16:06:00Z");
    expect(await recorder.runOnce()).toMatchObject({ written: 0 });
    expect(await rowsOf(app)).toEqual([]);
  });

  it("drops the buckets of a deleted app and still writes the others", async () => {
    const deleted = await runningApp();
    const kept = await runningApp();
    const { stats, recorder, at } = setup("2030-06-01T17:01:00Z");
    stats.set(deleted.id, { cpuPct: 1 });
    stats.set(kept.id, { cpuPct: 2 });
    await recorder.runOnce();
    expect(await deleteApp(db(), deleted.id)).toBe(true);

    at("2030-06-01T17:05:00Z");
    stats.byApp.delete(deleted.id);
    expect(await recorder.runOnce()).toMatchObject({ written: 1, dropped: 1 });
    expect((await rowsOf(kept)).map((r) => r.cpu_pct_avg)).toEqual([2]);
    expect(recorder.pendingBuckets).toBe(1);
  });

  it("splits a large batch into several statements in one transaction", async () => {
    const apps = await Promise.all(Array.from({ length: 5 }, () => runningApp()));
    let inserts = 0;
    const counting: KyselyPlugin = {
      transformQuery: (args) => {
        if (args.node.kind === "InsertQueryNode") inserts += 1;
        return args.node;
      },
      transformResult: (args) => Promise.resolve(args.result),
    };
    const { stats, recorder, at } = setup("2030-06-01T18:01:00Z", {
      db: db().withPlugin(counting),
      maxRowsPerStatement: 2,
    });
    for (const [i, app] of apps.entries()) stats.set(app.id, { cpuPct: i });
    await recorder.runOnce();
    at("2030-06-01T18:05:00Z");
    expect(await recorder.runOnce()).toMatchObject({ written: 5 });
    expect(inserts).toBe(3);
    for (const [i, app] of apps.entries()) expect((await rowsOf(app)).map((r) => r.cpu_pct_max)).toEqual([i]);
  });

  it("keeps the buckets of a failed write and writes them once at the next tick", async () => {
    const app = await runningApp();
    let failInserts = true;
    const failing: KyselyPlugin = {
      transformQuery: (args) => {
        if (failInserts && args.node.kind === "InsertQueryNode") throw new Error("database unavailable");
        return args.node;
      },
      transformResult: (args) => Promise.resolve(args.result),
    };
    const { stats, recorder, at } = setup("2030-06-01T19:01:00Z", { db: db().withPlugin(failing) });
    stats.set(app.id, { cpuPct: 10, netTotalBytes: 100 });
    await recorder.runOnce();
    at("2030-06-01T19:02:00Z");
    stats.set(app.id, { cpuPct: 30, netTotalBytes: 600 });
    await recorder.runOnce();

    at("2030-06-01T19:05:00Z");
    stats.set(app.id, { cpuPct: 50, netTotalBytes: 700 });
    await expect(recorder.runOnce()).rejects.toThrow("database unavailable");
    expect(await rowsOf(app)).toEqual([]);
    expect(recorder.pendingBuckets).toBe(2);

    failInserts = false;
    at("2030-06-01T19:06:00Z");
    expect(await recorder.runOnce()).toMatchObject({ written: 1 });
    expect((await rowsOf(app)).map((r) => [r.samples, r.cpu_pct_avg, r.net_bytes_delta])).toEqual([
      [2, 20, 500],
    ]);
  });
});

describe("UsageRecorder lifecycle", () => {
  it("flushes the open bucket on stop; a later run's flush of the same bucket adds to it", async () => {
    const app = await runningApp();
    const first = setup("2030-06-01T20:01:00Z", { sampleIntervalMs: 60 * MINUTE });
    await first.recorder.start();
    first.stats.set(app.id, { cpuPct: 10, memBytes: 100, netTotalBytes: 1000 });
    await first.recorder.runOnce();
    first.at("2030-06-01T20:02:00Z");
    first.stats.set(app.id, { cpuPct: 20, memBytes: 300, netTotalBytes: 1500 });
    await first.recorder.runOnce();
    expect(await rowsOf(app)).toEqual([]);

    await first.recorder.stop();
    const afterStop = await rowsOf(app);
    expect(afterStop.map((r) => [r.samples, r.cpu_pct_avg, r.mem_bytes_max, r.net_bytes_delta])).toEqual([
      [2, 15, 300, 500],
    ]);
    await first.recorder.stop(); // idempotent: nothing left to write
    expect(await rowsOf(app)).toEqual(afterStop);

    // The restarted process: its first reading only sets the counter base.
    const second = setup("2030-06-01T20:03:00Z");
    second.stats.set(app.id, { cpuPct: 60, memBytes: 200, netTotalBytes: 2000 });
    await second.recorder.runOnce();
    second.at("2030-06-01T20:04:00Z");
    second.stats.set(app.id, { cpuPct: 30, memBytes: 200, netTotalBytes: 2600 });
    await second.recorder.runOnce();
    await second.recorder.stop();

    expect(
      (await rowsOf(app)).map((r) => [r.samples, r.cpu_pct_avg, r.cpu_pct_max, r.net_bytes_delta]),
    ).toEqual([[4, 30, 60, 1100]]);
  });

  it("stop before start writes nothing and resolves", async () => {
    const { recorder } = setup("2030-06-01T21:00:00Z");
    await expect(recorder.stop()).resolves.toBeUndefined();
  });
});

describe("UsageRecorder pruning", () => {
  it("deletes buckets that started more than retention_days ago and keeps the rest", async () => {
    const app = await runningApp();
    const now = new Date("2030-03-01T00:00:00Z");
    const daysAgo = (d: number) => bucketStart(new Date(now.getTime() - d * 24 * 60 * MINUTE));
    const row = (bucket_start: Date): NewUsageSample => ({
      app_id: app.id,
      user_id: app.user_id,
      bucket_start,
      samples: 1,
      cpu_pct_avg: 1,
      cpu_pct_max: 1,
      mem_bytes_avg: 1,
      mem_bytes_max: 1,
      net_mbps_avg: 1,
      net_mbps_max: 1,
      net_bytes_delta: 1,
    });
    const cutoff = daysAgo(90);
    await upsertUsageSamples(db(), [
      row(daysAgo(91)),
      row(new Date(cutoff.getTime() - BUCKET_MS)),
      row(cutoff),
      row(daysAgo(89)),
    ]);

    const { recorder } = setup(now.toISOString());
    expect(await recorder.pruneOnce()).toBe(2);
    expect((await rowsOf(app)).map((r) => r.bucket_start)).toEqual([cutoff, daysAgo(89)]);
    expect(await recorder.pruneOnce()).toBe(0);
  });
});
