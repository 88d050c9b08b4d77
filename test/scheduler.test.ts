import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../src/db/database.js";
import { releaseWorkerCapacity } from "../src/db/workers.js";
import { enqueueAppJob } from "../src/scheduler/enqueue.js";
import { Scheduler } from "../src/scheduler/scheduler.js";
import { makeApp, makeUser } from "./helpers/db-fixtures.js";
import { checkInvariants, makeOnlineWorkers, makePendingDeploys } from "./helpers/scheduler-fixtures.js";
import { createTestDatabase, silentLog, testEngine, type TestDatabase } from "./helpers/test-db.js";

let t: TestDatabase;
const log = { ...silentLog, warn: () => undefined };
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.dispose());
const db = () => t.db.kysely;

/** A clean slate per test: the tests share one database. */
async function reset(): Promise<void> {
  await sql`TRUNCATE jobs, deployments, apps, workers RESTART IDENTITY CASCADE`.execute(db());
}
const scheduler = (over: Partial<ConstructorParameters<typeof Scheduler>[0]> = {}) =>
  new Scheduler({ db: db(), log, intervalMs: 1000, notify: false, ...over });
const jobs = (ids: number[]) =>
  db().selectFrom("jobs").selectAll().where("id", "in", ids).orderBy("id").execute();

describe("placement", () => {
  it("places on the least loaded worker, honours zones, and leaves what fits nowhere pending without blocking", async () => {
    await reset();
    const [a, b, c] = await makeOnlineWorkers(db(), [
      { cpu: 4000, memory: 4096 },
      { cpu: 4000, memory: 4096 },
      { cpu: 1000, memory: 1024, zone: "eu" },
    ]);
    await db()
      .updateTable("workers")
      .set({ used_cpu_millicores: 2000, used_memory_mb: 2048 })
      .where("id", "=", a!)
      .execute();
    const ids = await makePendingDeploys(db(), [
      { cpu: 8000, memory: 512, priority: 10 }, // fits nowhere, first in line
      { cpu: 500, memory: 512 },
      { cpu: 500, memory: 512, zone: "eu" },
      { cpu: 500, memory: 512, zone: "us" }, // no such zone
    ]);
    const assigned: [number, number][] = [];
    const s = scheduler();
    s.setJobAssignedCallback((w, j) => assigned.push([w, j]));
    const result = await s.runOnce();
    const rows = await jobs(ids);
    expect(rows.map((r) => [r.status, r.worker_id])).toEqual([
      ["pending", null],
      ["assigned", b],
      ["assigned", c],
      ["pending", null],
    ]);
    expect(result.assigned.map((x) => x.jobId).sort()).toEqual([ids[1], ids[2]].sort());
    expect(assigned.sort()).toEqual(
      [
        [b, ids[1]],
        [c, ids[2]],
      ].sort(),
    );
    expect(rows[1]!.host_port).toBe(20000);
    expect(await checkInvariants(db())).toMatchObject({ overCommitted: [], halfAssigned: [] });
  });

  it("a full batch of jobs that fit nowhere does not block a placeable job behind it", async () => {
    await reset();
    await makeOnlineWorkers(db(), [{ cpu: 1000, memory: 1024 }]);
    const big = await makePendingDeploys(
      db(),
      Array.from({ length: 150 }, () => ({ cpu: 2000, memory: 128, priority: 9 })),
    );
    const [small] = await makePendingDeploys(db(), [{ cpu: 100, memory: 128, priority: 0 }]);
    const result = await scheduler().runOnce();
    expect(result.assigned.map((a) => a.jobId)).toEqual([small]);
    expect((await jobs(big)).every((j) => j.status === "pending")).toBe(true);
  });

  it("sends restart/stop/delete to the app's worker and holds them while it is offline", async () => {
    await reset();
    const [a, b] = await makeOnlineWorkers(db(), [
      { cpu: 1000, memory: 1024 },
      { cpu: 8000, memory: 8192 },
    ]);
    const user = await makeUser(db());
    const app = await makeApp(db(), user.id, { worker_id: a! });
    const restart = await enqueueAppJob(db(), app.id, "restart");
    await db().updateTable("workers").set({ status: "offline" }).where("id", "=", a!).execute();
    await scheduler().runOnce();
    expect((await jobs([restart]))[0]).toMatchObject({ status: "pending", worker_id: a });
    await db().updateTable("workers").set({ status: "online" }).where("id", "=", a!).execute();
    await scheduler().runOnce();
    expect((await jobs([restart]))[0]).toMatchObject({ status: "assigned", worker_id: a, host_port: null });
    expect(b).toBeDefined();
    const orphan = await makeApp(db(), user.id);
    const stop = await enqueueAppJob(db(), orphan.id, "stop");
    await scheduler().runOnce();
    expect((await jobs([stop]))[0]).toMatchObject({
      status: "failed",
      error: "the app is not on any worker",
    });
  });

  it("respects run_after (the drain before retiring a superseded deployment)", async () => {
    await reset();
    const [a] = await makeOnlineWorkers(db(), [{ cpu: 1000, memory: 1024 }]);
    const user = await makeUser(db());
    const app = await makeApp(db(), user.id, { worker_id: a! });
    const now = new Date();
    const later = await enqueueAppJob(db(), app.id, "stop", { runAfter: new Date(now.getTime() + 10_000) });
    await scheduler({ now: () => now }).runOnce();
    expect((await jobs([later]))[0]!.status).toBe("pending");
    await scheduler({ now: () => new Date(now.getTime() + 10_001) }).runOnce();
    expect((await jobs([later]))[0]!.status).toBe("assigned");
  });

  it("a job enqueued in the tick's millisecond is due in that tick (run_after has microseconds, the clock milliseconds)", async () => {
    await reset();
    const [a] = await makeOnlineWorkers(db(), [{ cpu: 1000, memory: 1024 }]);
    const user = await makeUser(db());
    const app = await makeApp(db(), user.id, { worker_id: a! });
    const now = new Date();
    const sameMs = await enqueueAppJob(db(), app.id, "restart");
    const nextMs = await enqueueAppJob(db(), app.id, "stop");
    // As the column default now() may store it: 0.9 ms past the tick's millisecond.
    await sql`UPDATE jobs SET run_after = ${now}::timestamptz + interval '900 microseconds' WHERE id = ${sameMs}`.execute(
      db(),
    );
    await sql`UPDATE jobs SET run_after = ${now}::timestamptz + interval '1 millisecond' WHERE id = ${nextMs}`.execute(
      db(),
    );
    await scheduler({ now: () => now }).runOnce();
    expect((await jobs([sameMs, nextMs])).map((j) => j.status)).toEqual(["assigned", "pending"]);
  });

  it("retries the whole transaction after a serialization failure (forced once by a trigger)", async () => {
    await reset();
    await makeOnlineWorkers(db(), [{ cpu: 4000, memory: 4096 }]);
    const ids = await makePendingDeploys(db(), [{ cpu: 100, memory: 100 }]);
    // A sequence is not rolled back with the transaction: only the first attempt fails.
    await sql`CREATE SEQUENCE fail_once_seq`.execute(db());
    await sql`
      CREATE OR REPLACE FUNCTION fail_once_fn() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF nextval('fail_once_seq') = 1 THEN
          RAISE EXCEPTION 'forced' USING ERRCODE = '40001';
        END IF;
        RETURN NEW;
      END $$`.execute(db());
    await sql`CREATE TRIGGER fail_once_tr BEFORE UPDATE OF status ON jobs FOR EACH ROW EXECUTE FUNCTION fail_once_fn()`.execute(
      db(),
    );
    try {
      const retries: number[] = [];
      const s = scheduler({
        log: { ...log, warn: (o: object) => retries.push((o as { attempt: number }).attempt) },
      });
      const result = await s.runOnce();
      expect(retries).toEqual([1]);
      expect(result.assigned.map((a) => a.jobId)).toEqual(ids);
      expect(await checkInvariants(db())).toMatchObject({
        overCommitted: [],
        counterMismatch: [],
        halfAssigned: [],
      });
    } finally {
      await sql`DROP TRIGGER fail_once_tr ON jobs`.execute(db());
      await sql`DROP SEQUENCE fail_once_seq`.execute(db());
    }
  });

  it("release never takes a counter below zero", async () => {
    await reset();
    const [a] = await makeOnlineWorkers(db(), [{ cpu: 1000, memory: 1024 }]);
    await db()
      .updateTable("workers")
      .set({ used_cpu_millicores: 100, used_memory_mb: 100 })
      .where("id", "=", a!)
      .execute();
    await releaseWorkerCapacity(db(), a!, 300, 50);
    await releaseWorkerCapacity(db(), a!, 300, 300);
    const w = await db().selectFrom("workers").selectAll().where("id", "=", a!).executeTakeFirstOrThrow();
    expect([w.used_cpu_millicores, w.used_memory_mb]).toEqual([0, 0]);
  });

  it("selectAvailableWorker reads and writes nothing", async () => {
    await reset();
    const [a, b] = await makeOnlineWorkers(db(), [
      { cpu: 1000, memory: 1024 },
      { cpu: 2000, memory: 2048, zone: "eu" },
    ]);
    const s = scheduler();
    expect(await s.selectAvailableWorker({ cpuMillicores: 500, memoryMb: 500, zone: null })).toEqual({
      workerId: b,
      zone: "eu",
    });
    expect(await s.selectAvailableWorker({ cpuMillicores: 1500, memoryMb: 500, zone: null })).toEqual({
      workerId: b,
      zone: "eu",
    });
    expect(await s.selectAvailableWorker({ cpuMillicores: 5000, memoryMb: 500, zone: null })).toBeUndefined();
    const rows = await db()
      .selectFrom("workers")
      .select(["used_cpu_millicores"])
      .where("id", "in", [a!, b!])
      .execute();
    expect(rows.every((r) => r.used_cpu_millicores === 0)).toBe(true);
  });
});

describe("concurrency", () => {
  it("4 schedulers on 4 connections, 50 workers of mixed sizes, 1,000 jobs: each placed once, nothing over capacity", async () => {
    await reset();
    const sizes = Array.from({ length: 50 }, (_, i) => ({
      cpu: [1000, 2000, 4000, 8000][i % 4]!,
      memory: [1024, 2048, 4096, 8192][(i * 3) % 4]!,
    }));
    await makeOnlineWorkers(db(), sizes);
    const specs = Array.from({ length: 1000 }, (_, i) => ({
      cpu: [100, 250, 500][i % 3]!,
      memory: [128, 256, 512][(i * 7) % 3]!,
      priority: i % 5,
    }));
    const ids = await makePendingDeploys(db(), specs);
    const handles: Database[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        handles.push(
          testEngine === "postgres"
            ? await openDatabase({ engine: "postgres", url: t.url!, poolSize: 2 }, silentLog)
            : t.db,
        );
      }
      const seen = new Map<number, number>();
      const schedulers = handles.map((h) => {
        const s = new Scheduler({ db: h.kysely, log, intervalMs: 1000, notify: false, batch: 50 });
        s.setJobAssignedCallback((_w, jobId) => seen.set(jobId, (seen.get(jobId) ?? 0) + 1));
        return s;
      });
      for (let round = 0; round < 20; round++) {
        const results = await Promise.all(schedulers.map((s) => s.runOnce()));
        if (results.every((r) => r.assigned.length === 0)) break;
      }
      const report = await checkInvariants(db());
      expect(report.overCommitted).toEqual([]);
      expect(report.counterMismatch).toEqual([]);
      expect(report.halfAssigned).toEqual([]);
      expect(report.jobsAssigned + report.jobsPending).toBe(1000);
      expect([...seen.values()].every((n) => n === 1)).toBe(true);
      expect(seen.size).toBe(report.jobsAssigned);
      const pending = (await jobs(ids)).filter((j) => j.status === "pending");
      // Whatever is still pending fits on no worker's remaining capacity.
      const free = await db()
        .selectFrom("workers")
        .select(["cpu_millicores", "used_cpu_millicores", "memory_mb", "used_memory_mb"])
        .execute();
      for (const j of pending) {
        expect(
          free.some(
            (w) =>
              w.cpu_millicores - w.used_cpu_millicores >= j.cpu_millicores &&
              w.memory_mb - w.used_memory_mb >= j.memory_mb,
          ),
        ).toBe(false);
      }
      const ports = await db()
        .selectFrom("deployments")
        .select(["worker_id", "host_port"])
        .where("reserved", "=", true)
        .execute();
      expect(new Set(ports.map((p) => `${p.worker_id}:${p.host_port}`)).size).toBe(ports.length);
    } finally {
      if (testEngine === "postgres") await Promise.all(handles.map((h) => h.close()));
    }
  });
});
