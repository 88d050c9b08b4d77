import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkerConnection } from "../src/agent/sim/worker-connection.js";
import { RecordingPublisher, type TransactionalPublisher } from "../src/events/publisher.js";
import type { LogLine } from "../src/logbus/log-bus.js";
import { startTestControlPlane, type TestControlPlane } from "./helpers/control-plane.js";
import {
  appStatsEntry,
  assignedDeploy,
  connectWorker,
  registerTestWorker,
  settle,
  succeed,
  type TestWorker,
} from "./helpers/hub-fixtures.js";

let cp: TestControlPlane;
const publisher = new RecordingPublisher();
beforeAll(async () => {
  cp = await startTestControlPlane({ publisher });
});
afterAll(() => cp.stop());

const db = () => cp.t.db.kysely;
const open: WorkerConnection[] = [];
afterAll(async () => {
  await Promise.all(open.map((c) => c.close().catch(() => undefined)));
});
async function connected(): Promise<{ w: TestWorker; conn: WorkerConnection }> {
  const w = await registerTestWorker(cp);
  const conn = await connectWorker(cp, w);
  open.push(conn);
  return { w, conn };
}
const workerRow = (id: number) =>
  db().selectFrom("workers").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
const jobRow = (id: number) =>
  db().selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
const appRow = (id: number) =>
  db().selectFrom("apps").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
const deploymentRow = (id: number) =>
  db().selectFrom("deployments").selectAll().where("id", "=", id).executeTakeFirstOrThrow();

describe("jobs", () => {
  it("sends the oldest assigned job on connect; job_status and a successful job_result complete it once", async () => {
    const w = await registerTestWorker(cp);
    const older = await assignedDeploy(db(), w.id, { assignedAt: new Date(Date.now() - 60_000) });
    const newer = await assignedDeploy(db(), w.id);
    const conn = await connectWorker(cp, w);
    open.push(conn);
    const job = await conn.waitFor("job");
    expect(job.payload).toMatchObject({ job_id: older.jobId, type: "deploy", app: { id: older.appId } });
    expect(job.payload.type === "deploy" && job.payload.deploy).toMatchObject({
      deployment_id: older.deploymentId,
      source: { kind: "image" },
      internal_port: 8080,
      network: "wisehosting",
      cpu_millicores: 250,
      memory_mb: 256,
    });

    conn.send("job_status", { job_id: older.jobId, status: "processing" });
    await settle(conn);
    expect((await jobRow(older.jobId)).status).toBe("processing");

    conn.send("job_result", {
      job_id: older.jobId,
      success: true,
      error: null,
      logs: "built \x1b[32mok\x1b[0m",
      container_id: "c1",
    });
    // The next assigned job follows the result.
    const next = await conn.waitFor("job");
    expect(next.payload.job_id).toBe(newer.jobId);
    expect((await jobRow(older.jobId)).status).toBe("completed");
    expect(await appRow(older.appId)).toMatchObject({
      status: "running",
      worker_id: w.id,
      current_deployment_id: older.deploymentId,
    });
    const dep = await deploymentRow(older.deploymentId);
    expect(dep).toMatchObject({
      status: "running",
      container_id: "c1",
      reserved: true,
      build_logs: "built ok",
    });
    // A successful deploy keeps its reservation as the app's placement.
    expect(await workerRow(w.id)).toMatchObject({ used_cpu_millicores: 500, used_memory_mb: 512 });
    expect(publisher.events.filter((e) => e.app.id === older.appId).map((e) => e.type)).toEqual([
      "deployment.succeeded",
    ]);

    // A duplicate result changes nothing and sends nothing twice.
    conn.send("job_result", {
      job_id: older.jobId,
      success: false,
      error: "late",
      logs: "",
      container_id: null,
    });
    await settle(conn);
    expect((await jobRow(older.jobId)).status).toBe("completed");
    expect(publisher.events.filter((e) => e.app.id === older.appId)).toHaveLength(1);
  });

  it("a failed deploy releases what it reserved and publishes deployment.failed", async () => {
    const { w, conn } = await connected();
    const d = await assignedDeploy(db(), w.id, { cpu: 300, memory: 128 });
    const { hub } = cp.parts;
    hub.pushJob(w.id);
    await conn.waitFor("job", (m) => m.payload.job_id === d.jobId);
    conn.send("job_result", {
      job_id: d.jobId,
      success: false,
      error: "image not found",
      logs: "",
      container_id: null,
    });
    await settle(conn);
    expect(await jobRow(d.jobId)).toMatchObject({ status: "failed", error: "image not found" });
    expect(await deploymentRow(d.deploymentId)).toMatchObject({
      status: "failed",
      reserved: false,
      host_port: null,
    });
    expect(await workerRow(w.id)).toMatchObject({ used_cpu_millicores: 0, used_memory_mb: 0 });
    expect((await appRow(d.appId)).status).toBe("failed");
    const ev = publisher.events.find((e) => e.app.id === d.appId);
    expect(ev).toMatchObject({
      type: "deployment.failed",
      reason: "image not found",
      deployment: { id: d.deploymentId },
    });
  });
});

describe("start-first redeploys and stops (spec §5, Capacity)", () => {
  it("a successful redeploy supersedes the old deployment, whose stop is due after the drain and releases it", async () => {
    const { w, conn } = await connected();
    const first = await assignedDeploy(db(), w.id, { cpu: 200, memory: 100 });
    cp.parts.hub.pushJob(w.id);
    await conn.waitFor("job", (m) => m.payload.job_id === first.jobId);
    conn.send("job_result", {
      job_id: first.jobId,
      success: true,
      error: null,
      logs: "",
      container_id: "old",
    });
    await settle(conn);
    const second = await assignedDeploy(db(), w.id, {
      cpu: 200,
      memory: 100,
      appId: first.appId,
      userId: first.userId,
    });
    cp.parts.hub.pushJob(w.id);
    await conn.waitFor("job", (m) => m.payload.job_id === second.jobId);
    expect(await workerRow(w.id)).toMatchObject({ used_cpu_millicores: 400, used_memory_mb: 200 });
    const t0 = Date.now();
    conn.send("job_result", {
      job_id: second.jobId,
      success: true,
      error: null,
      logs: "",
      container_id: "new",
    });
    await settle(conn);
    expect((await appRow(first.appId)).current_deployment_id).toBe(second.deploymentId);
    expect((await deploymentRow(first.deploymentId)).status).toBe("superseded");
    const stop = await db()
      .selectFrom("jobs")
      .selectAll()
      .where("app_id", "=", first.appId)
      .where("type", "=", "stop")
      .executeTakeFirstOrThrow();
    expect(stop).toMatchObject({ deployment_id: first.deploymentId, worker_id: w.id, status: "pending" });
    expect(stop.run_after.getTime()).toBeGreaterThanOrEqual(t0 + 10_000 - 1000);
    // Until the old container is stopped both reservations stand.
    expect(await workerRow(w.id)).toMatchObject({ used_cpu_millicores: 400 });

    await db()
      .updateTable("jobs")
      .set({ status: "assigned", assigned_at: new Date() })
      .where("id", "=", stop.id)
      .execute();
    cp.parts.hub.pushJob(w.id);
    const msg = await conn.waitFor("job", (m) => m.payload.job_id === stop.id);
    expect(msg.payload).toMatchObject({ type: "stop", deployment_id: first.deploymentId });
    conn.send("job_result", { job_id: stop.id, success: true, error: null, logs: "", container_id: null });
    await settle(conn);
    expect(await deploymentRow(first.deploymentId)).toMatchObject({ reserved: false, host_port: null });
    expect(await workerRow(w.id)).toMatchObject({ used_cpu_millicores: 200, used_memory_mb: 100 });
    expect((await appRow(first.appId)).status).toBe("running");
  });

  it("a failed redeploy leaves the previous deployment serving; a stop of the app releases everything", async () => {
    const { w, conn } = await connected();
    const first = await assignedDeploy(db(), w.id, { cpu: 100, memory: 64 });
    cp.parts.hub.pushJob(w.id);
    await conn.waitFor("job", (m) => m.payload.job_id === first.jobId);
    conn.send("job_result", { job_id: first.jobId, success: true, error: null, logs: "", container_id: "a" });
    await settle(conn);
    const second = await assignedDeploy(db(), w.id, {
      cpu: 100,
      memory: 64,
      appId: first.appId,
      userId: first.userId,
    });
    cp.parts.hub.pushJob(w.id);
    await conn.waitFor("job", (m) => m.payload.job_id === second.jobId);
    conn.send("job_result", {
      job_id: second.jobId,
      success: false,
      error: "port never opened",
      logs: "",
      container_id: null,
    });
    await settle(conn);
    expect(await appRow(first.appId)).toMatchObject({
      status: "running",
      current_deployment_id: first.deploymentId,
    });
    expect(await workerRow(w.id)).toMatchObject({ used_cpu_millicores: 100, used_memory_mb: 64 });

    const stop = await db()
      .insertInto("jobs")
      .values({
        app_id: first.appId,
        type: "stop",
        status: "assigned",
        worker_id: w.id,
        assigned_at: new Date(),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    cp.parts.hub.pushJob(w.id);
    await conn.waitFor("job", (m) => m.payload.job_id === stop.id);
    conn.send("job_result", { job_id: stop.id, success: true, error: null, logs: "", container_id: null });
    await settle(conn);
    expect((await appRow(first.appId)).status).toBe("stopped");
    expect(await workerRow(w.id)).toMatchObject({ used_cpu_millicores: 0, used_memory_mb: 0 });
  });
});

describe("ownership: another worker's app or job changes nothing", () => {
  it("job_status and job_result for a foreign job are not_found", async () => {
    const a = await connected();
    const b = await connected();
    const d = await assignedDeploy(db(), a.w.id);
    const s1 = b.conn.send("job_status", { job_id: d.jobId, status: "processing" });
    expect((await b.conn.waitFor("error", (m) => m.env.reply_to === s1)).payload.code).toBe("not_found");
    const s2 = b.conn.send("job_result", {
      job_id: d.jobId,
      success: true,
      error: null,
      logs: "",
      container_id: "x",
    });
    expect((await b.conn.waitFor("error", (m) => m.env.reply_to === s2)).payload.code).toBe("not_found");
    const s3 = b.conn.send("build_log", { job_id: d.jobId, logs: "evil" });
    expect((await b.conn.waitFor("error", (m) => m.env.reply_to === s3)).payload.code).toBe("not_found");
    expect((await jobRow(d.jobId)).status).toBe("assigned");
    expect((await deploymentRow(d.deploymentId)).build_logs).toBe("");
  });

  it("app_stats, runtime_log, app_status and violation for a foreign app are ignored", async () => {
    const a = await connected();
    const b = await connected();
    const d = await assignedDeploy(db(), a.w.id);
    await db()
      .updateTable("apps")
      .set({ worker_id: a.w.id, status: "running" })
      .where("id", "=", d.appId)
      .execute();
    const lines: LogLine[] = [];
    cp.parts.logBus.subscribe(d.appId, (l) => lines.push(l));
    const entry = appStatsEntry(d.appId, 99);
    b.conn.send("app_stats", { apps: [entry] });
    b.conn.send("runtime_log", {
      lines: [{ app_id: d.appId, ts: Date.now(), stream: "stdout", line: "forged" }],
    });
    b.conn.send("app_status", { app_id: d.appId, status: "stopped", reason: "exited", exit_code: 1 });
    b.conn.send("violation", { app_id: d.appId, reason: "memory" });
    await settle(b.conn);
    expect(cp.parts.hub.appStatsLive(d.appId)).toBeUndefined();
    expect(lines).toEqual([]);
    expect((await appRow(d.appId)).status).toBe("running");
    expect(publisher.events.filter((e) => e.app.id === d.appId)).toEqual([]);

    // The owner's reports do land.
    a.conn.send("app_stats", { apps: [{ ...entry, cpu_pct: 12.5 }] });
    a.conn.send("runtime_log", {
      lines: [
        {
          app_id: d.appId,
          ts: 1,
          stream: "stderr",
          line: "\x1b[31mred\x1b[0m and\0 nul \x1b]0;title\x07done",
        },
      ],
    });
    a.conn.send("app_status", { app_id: d.appId, status: "crashed", reason: "crashloop", exit_code: 137 });
    await settle(a.conn);
    expect(cp.parts.hub.appStats(d.appId)?.cpuPct).toBe(12.5);
    expect(lines.map((l) => l.line)).toEqual(["red and nul done"]);
    expect((await appRow(d.appId)).status).toBe("crashed");
    expect(publisher.events.filter((e) => e.app.id === d.appId).map((e) => e.type)).toEqual([
      "app.crashloop",
    ]);
  });
});

describe("ownership answers are cached, and forgotten when a placement changes", () => {
  // The placement NOTIFY would forget too, a little later: stopped here, so the job result's own forget is what is tested.
  beforeAll(() => cp.parts.placements.stop());
  afterAll(() => cp.parts.placements.start());

  it("an app moved to another worker stops being the old worker's as soon as the move completes", async () => {
    const a = await connected();
    const b = await connected();
    const first = await assignedDeploy(db(), a.w.id);
    cp.parts.hub.pushJob(a.w.id);
    await a.conn.waitFor("job", (m) => m.payload.job_id === first.jobId);
    await succeed(a.conn, first.jobId, "a");
    const entry = (cpu: number) => appStatsEntry(first.appId, cpu);
    a.conn.send("app_stats", { apps: [entry(10)] });
    await settle(a.conn);
    expect(cp.parts.hub.appStats(first.appId)?.cpuPct).toBe(10); // a's cache now holds "mine"

    // The app is moved off a without a's connection taking part (as on failover):
    // a's reservation ends, and a deploy on b completes.
    await db()
      .updateTable("deployments")
      .set({ reserved: false })
      .where("id", "=", first.deploymentId)
      .execute();
    const moved = await assignedDeploy(db(), b.w.id, { appId: first.appId, userId: first.userId });
    cp.parts.hub.pushJob(b.w.id);
    await b.conn.waitFor("job", (m) => m.payload.job_id === moved.jobId);
    await succeed(b.conn, moved.jobId, "b");
    expect((await appRow(first.appId)).worker_id).toBe(b.w.id);

    b.conn.send("app_stats", { apps: [entry(20)] });
    await settle(b.conn);
    a.conn.send("app_stats", { apps: [entry(77)] });
    await settle(a.conn);
    expect(cp.parts.hub.appStats(first.appId)?.cpuPct).toBe(20);
  });
});

describe("logs", () => {
  it("a worker sending 10 MiB of log lines in 10 s gets about 3.5 MiB through, rate_limited at most once a second", async () => {
    let clock = Date.now();
    const now = () => clock;
    const cp2 = await startTestControlPlane({ now: () => new Date(clock) });
    try {
      const w = await registerTestWorker(cp2);
      const conn = await connectWorker(cp2, w, now);
      const d = await assignedDeploy(cp2.t.db.kysely, w.id);
      await cp2.t.db.kysely.updateTable("apps").set({ worker_id: w.id }).where("id", "=", d.appId).execute();
      let received = 0;
      cp2.parts.logBus.subscribe(d.appId, (l) => (received += l.line.length));
      const errorsAt: number[] = [];
      conn.on("message", (m) => {
        if (m.type === "error" && m.payload.code === "rate_limited") errorsAt.push(clock);
      });
      const line = "x".repeat(8000);
      const chunk = {
        lines: Array.from({ length: 8 }, () => ({
          app_id: d.appId,
          ts: clock,
          stream: "stdout" as const,
          line,
        })),
      };
      const chunks = 160; // 160 × 64,000 bytes of lines ≈ 10 MiB, over 10 s
      for (let i = 0; i < chunks; i++) {
        conn.send("runtime_log", chunk);
        await settle(conn);
        clock += 63; // 160 × 63 ms ≈ 10 s
      }
      const sent = chunks * 8 * 8000;
      const expected = 1024 * 1024 + ((chunks * 63) / 1000) * 256 * 1024;
      expect(sent).toBeGreaterThan(10_000_000);
      expect(received).toBeGreaterThan(expected * 0.9 * (64_000 / 64_400)); // payload bytes include JSON framing
      expect(received).toBeLessThan(expected * 1.1);
      expect(errorsAt.length).toBeGreaterThan(0);
      for (let i = 1; i < errorsAt.length; i++)
        expect(errorsAt[i]! - errorsAt[i - 1]!).toBeGreaterThanOrEqual(1000);
      await conn.close();
    } finally {
      await cp2.stop();
    }
  });
});

describe("events go through the outbox when the publisher has one", () => {
  it("job_result and app_status write their event inside the change's transaction, then wake delivery", async () => {
    const calls: { type: string; inTransaction: boolean }[] = [];
    let wakes = 0;
    const outbox: TransactionalPublisher = {
      publish: () => {
        throw new Error("publish() must not be used when the outbox is available");
      },
      publishInTx: (trx, event) => {
        calls.push({ type: event.type, inTransaction: trx.isTransaction });
        return Promise.resolve();
      },
      wake: () => {
        wakes++;
      },
    };
    const cp2 = await startTestControlPlane({ publisher: outbox });
    try {
      const w = await registerTestWorker(cp2);
      const conn = await connectWorker(cp2, w);
      const d = await assignedDeploy(cp2.t.db.kysely, w.id);
      cp2.parts.hub.pushJob(w.id);
      await conn.waitFor("job", (m) => m.payload.job_id === d.jobId);
      conn.send("job_result", { job_id: d.jobId, success: true, error: null, logs: "", container_id: "c" });
      conn.send("app_status", { app_id: d.appId, status: "stopped", reason: "exited", exit_code: 0 });
      await settle(conn);
      expect(calls).toEqual([
        { type: "deployment.succeeded", inTransaction: true },
        { type: "app.stopped", inTransaction: true },
      ]);
      expect(wakes).toBe(2);
      await conn.close();
    } finally {
      await cp2.stop();
    }
  });
});
