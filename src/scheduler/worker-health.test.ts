import pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { makeWorker } from "../../test/helpers/db-fixtures.js";
import { assignedDeploy, type AssignedDeploy } from "../../test/helpers/hub-fixtures.js";
import { createTestDatabase, silentLog, testEngine, type TestDatabase } from "../../test/helpers/test-db.js";
import type { WorkerRow } from "../db/workers.js";
import { WORKER_HEALTH_LOCK_KEY } from "./advisory-lock.js";
import { WorkerHealthMonitor, type WorkerHealthMonitorOptions } from "./worker-health.js";

const now = new Date("2031-03-01T12:00:00Z");
const sec = 1000;
const min = 60 * sec;
const ago = (ms: number) => new Date(now.getTime() - ms);
const HEARTBEAT_TIMEOUT_S = 120;

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.dispose());
// Every check looks at the whole fleet: each test starts with no online worker.
beforeEach(async () => {
  await t.db.kysely.updateTable("workers").set({ status: "offline" }).execute();
});

const db = () => t.db.kysely;

function monitor(opts: Partial<WorkerHealthMonitorOptions> = {}): WorkerHealthMonitor {
  return new WorkerHealthMonitor({
    db: db(),
    log: silentLog,
    now: () => now,
    heartbeatTimeoutS: HEARTBEAT_TIMEOUT_S,
    startedAt: ago(60 * min),
    ...opts,
  });
}

const online = (lastHeartbeat: Date | null) =>
  makeWorker(db(), { status: "online", last_heartbeat: lastHeartbeat });

/** An app serving from its current deployment on the worker, with that capacity in use. */
async function runningApp(workerId: number, cpu = 250, memory = 256): Promise<AssignedDeploy> {
  const d = await assignedDeploy(db(), workerId, { cpu, memory });
  await db().updateTable("jobs").set({ status: "completed" }).where("id", "=", d.jobId).execute();
  await db().updateTable("deployments").set({ status: "running" }).where("id", "=", d.deploymentId).execute();
  await db()
    .updateTable("apps")
    .set({ status: "running", worker_id: workerId, current_deployment_id: d.deploymentId })
    .where("id", "=", d.appId)
    .execute();
  return d;
}

const worker = (id: number) =>
  db().selectFrom("workers").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
const appStatus = async (id: number) =>
  (await db().selectFrom("apps").select("status").where("id", "=", id).executeTakeFirstOrThrow()).status;
const deployment = (id: number) =>
  db().selectFrom("deployments").selectAll().where("id", "=", id).executeTakeFirstOrThrow();

describe("WorkerHealthMonitor", () => {
  it("stop() before start() is safe", async () => {
    const m = monitor();
    await m.stop();
    await m.start();
    await m.stop();
  });

  it("marks a stale worker offline, stops its apps and gives back their capacity; a fresh one is untouched", async () => {
    const stale = await online(ago(3 * min));
    const fresh = await online(ago(30 * sec));
    const a = await runningApp(stale.id, 250, 256);
    const b = await runningApp(stale.id, 500, 512);
    // A deploy still in flight on the stale worker keeps its reservation: its job decides.
    const inFlight = await assignedDeploy(db(), stale.id, {
      cpu: 100,
      memory: 128,
      assignedAt: ago(5 * min),
    });
    const c = await runningApp(fresh.id, 300, 300);
    expect(await worker(stale.id)).toMatchObject({ used_cpu_millicores: 850, used_memory_mb: 896 });

    expect(await monitor().runOnce()).toEqual({ offline: [stale.id], appsStopped: 2, partition: false });

    expect(await worker(stale.id)).toMatchObject({
      status: "offline",
      used_cpu_millicores: 100,
      used_memory_mb: 128,
    });
    expect(await appStatus(a.appId)).toBe("stopped");
    expect(await appStatus(b.appId)).toBe("stopped");
    for (const d of [a, b])
      expect(await deployment(d.deploymentId)).toMatchObject({
        status: "stopped",
        reserved: false,
        host_port: null,
        finished_at: now,
      });
    expect(await deployment(inFlight.deploymentId)).toMatchObject({ status: "pending", reserved: true });

    expect(await worker(fresh.id)).toMatchObject({
      status: "online",
      used_cpu_millicores: 300,
      used_memory_mb: 300,
    });
    expect(await appStatus(c.appId)).toBe("running");
    expect(await deployment(c.deploymentId)).toMatchObject({ status: "running", reserved: true });

    // Already offline: a second check finds nothing to do.
    expect(await monitor().runOnce()).toEqual({ offline: [], appsStopped: 0, partition: false });
  });

  it("a superseded deployment awaiting its retire stays superseded when released", async () => {
    const stale = await online(ago(10 * min));
    await online(ago(10 * sec));
    const current = await runningApp(stale.id, 200, 200);
    const old = await runningApp(stale.id, 100, 100);
    await db()
      .updateTable("deployments")
      .set({ status: "superseded" })
      .where("id", "=", old.deploymentId)
      .execute();

    expect(await monitor().runOnce()).toEqual({ offline: [stale.id], appsStopped: 2, partition: false });
    expect(await deployment(current.deploymentId)).toMatchObject({ status: "stopped", reserved: false });
    expect(await deployment(old.deploymentId)).toMatchObject({ status: "superseded", reserved: false });
    expect(await worker(stale.id)).toMatchObject({ used_cpu_millicores: 0, used_memory_mb: 0 });
  });

  it("does nothing for one heartbeat timeout after the control plane starts", async () => {
    const stale = await online(ago(10 * min));
    await online(ago(10 * sec));
    await online(ago(10 * sec));
    const app = await runningApp(stale.id);
    let clock = now;
    const m = monitor({ now: () => clock, startedAt: now });

    clock = new Date(now.getTime() + 1 * min);
    expect(await m.runOnce()).toEqual({ offline: [], appsStopped: 0, partition: false, skipped: "grace" });
    expect((await worker(stale.id)).status).toBe("online");
    expect(await appStatus(app.appId)).toBe("running");

    clock = new Date(now.getTime() + 2 * min + 1 * sec);
    // The fresh workers' heartbeats are now 2 min 11 s old too: beat again.
    await db().updateTable("workers").set({ last_heartbeat: clock }).where("id", "<>", stale.id).execute();
    expect(await m.runOnce()).toEqual({ offline: [stale.id], appsStopped: 1, partition: false });
    expect(await appStatus(app.appId)).toBe("stopped");
  });

  it("on a suspected partition (3 of 4 stale) marks them offline but stops no app, and logs an error", async () => {
    const stale = [await online(ago(5 * min)), await online(ago(5 * min)), await online(null)];
    const healthy = await online(ago(10 * sec));
    const apps = [];
    for (const w of stale) apps.push(await runningApp(w.id, 400, 400));
    const errors: object[] = [];
    const m = monitor({ log: { ...silentLog, error: (obj: object) => errors.push(obj) } });

    const ids = stale.map((w) => w.id).sort((x, y) => x - y);
    expect(await m.runOnce()).toEqual({ offline: ids, appsStopped: 0, partition: true });

    for (const w of stale)
      expect(await worker(w.id)).toMatchObject({
        status: "offline",
        used_cpu_millicores: 400,
        used_memory_mb: 400,
      });
    expect((await worker(healthy.id)).status).toBe("online");
    for (const a of apps) {
      expect(await appStatus(a.appId)).toBe("running");
      expect((await deployment(a.deploymentId)).reserved).toBe(true);
    }
    expect(errors).toEqual([expect.objectContaining({ offline: ids, online: 4 })]);
  });

  it("exactly half stale is not a partition: their apps are stopped", async () => {
    const stale: WorkerRow[] = [await online(ago(5 * min)), await online(null)];
    await online(ago(10 * sec));
    await online(ago(10 * sec));
    const app = await runningApp(stale[0]!.id);

    expect(await monitor().runOnce()).toEqual({
      offline: stale.map((w) => w.id).sort((x, y) => x - y),
      appsStopped: 1,
      partition: false,
    });
    expect(await appStatus(app.appId)).toBe("stopped");
    expect(await worker(stale[0]!.id)).toMatchObject({ used_cpu_millicores: 0, used_memory_mb: 0 });
  });

  it("ticks run one after another on one replica", async () => {
    const first = await online(ago(5 * min));
    await online(ago(10 * sec));
    await online(ago(10 * sec));
    const m = monitor();
    expect(await m.runOnce()).toEqual({ offline: [first.id], appsStopped: 0, partition: false });
    const second = await online(ago(4 * min));
    expect(await m.runOnce()).toEqual({ offline: [second.id], appsStopped: 0, partition: false });
  });

  it.runIf(testEngine === "postgres")("skips the check while another replica holds the lock", async () => {
    const stale = await online(ago(5 * min));
    await online(ago(10 * sec));
    await online(ago(10 * sec));
    const other = new pg.Client({ connectionString: t.url });
    await other.connect();
    try {
      await other.query("BEGIN");
      await other.query("SELECT pg_advisory_xact_lock($1::bigint)", [WORKER_HEALTH_LOCK_KEY.toString()]);
      expect(await monitor().runOnce()).toEqual({
        offline: [],
        appsStopped: 0,
        partition: false,
        skipped: "locked",
      });
      expect((await worker(stale.id)).status).toBe("online");
      await other.query("COMMIT");
    } finally {
      await other.end();
    }
    expect(await monitor().runOnce()).toEqual({ offline: [stale.id], appsStopped: 0, partition: false });
  });
});
