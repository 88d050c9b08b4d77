import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeApp, makeUser, makeWorker } from "../../test/helpers/db-fixtures.js";
import { assignedDeploy } from "../../test/helpers/hub-fixtures.js";
import { createTestDatabase, silentLog, type TestDatabase } from "../../test/helpers/test-db.js";
import { completeJob } from "../api/job-completion.js";
import type { WorkerRow } from "../db/workers.js";
import { RecordingPublisher } from "../events/publisher.js";
import { StuckJobRecovery } from "./stuck-jobs.js";

/*
 * The tests share one database and one instant `now`, and run in order:
 * every stuck job a test creates is failed by that test's tick, and the
 * fresh ones it leaves stay fresh, so each tick sees only its own test's jobs.
 */
const now = new Date("2031-03-01T12:00:00Z");
const min = 60_000;
const ago = (ms: number) => new Date(now.getTime() - ms);

let t: TestDatabase;
let worker: WorkerRow;
let publisher: RecordingPublisher;
let recovery: StuckJobRecovery;

beforeAll(async () => {
  t = await createTestDatabase();
  worker = await makeWorker(t.db.kysely, { status: "online", last_heartbeat: now });
  publisher = new RecordingPublisher();
  recovery = new StuckJobRecovery({
    db: t.db.kysely,
    log: silentLog,
    publisher,
    now: () => now,
    timeoutS: 900,
  });
});
afterAll(() => t.dispose());

const db = () => t.db.kysely;
const timeoutError = () => `job timed out after 900 s without a result from worker ${worker.name}`;

async function used(workerId = worker.id) {
  return db()
    .selectFrom("workers")
    .select(["used_cpu_millicores", "used_memory_mb"])
    .where("id", "=", workerId)
    .executeTakeFirstOrThrow();
}
const job = (id: number) =>
  db().selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
const deployment = (id: number) =>
  db().selectFrom("deployments").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
const app = (id: number) =>
  db().selectFrom("apps").selectAll().where("id", "=", id).executeTakeFirstOrThrow();

describe("StuckJobRecovery", () => {
  it("stop() before start() is safe, and start/stop run no tick early", async () => {
    await recovery.stop();
    await recovery.start();
    await recovery.stop();
    await recovery.stop();
  });

  it("fails a deploy assigned 16 min ago, releasing its reservation; one assigned 14 min ago is untouched", async () => {
    const before = await used();
    const stuck = await assignedDeploy(db(), worker.id, { cpu: 500, memory: 512, assignedAt: ago(16 * min) });
    const fresh = await assignedDeploy(db(), worker.id, { cpu: 250, memory: 256, assignedAt: ago(14 * min) });
    await db()
      .updateTable("deployments")
      .set({ commit_sha: "abc1234", commit_message: "fix the thing" })
      .where("id", "=", stuck.deploymentId)
      .execute();
    expect(await used()).toEqual({
      used_cpu_millicores: before.used_cpu_millicores + 750,
      used_memory_mb: before.used_memory_mb + 768,
    });

    expect(await recovery.runOnce()).toEqual({ failed: [stuck.jobId] });

    const failedJob = await job(stuck.jobId);
    expect(failedJob.status).toBe("failed");
    expect(failedJob.error).toBe(timeoutError());
    expect(failedJob.finished_at).toEqual(now);
    const failedDeployment = await deployment(stuck.deploymentId);
    expect(failedDeployment).toMatchObject({
      status: "failed",
      reserved: false,
      host_port: null,
      error: timeoutError(),
    });
    expect((await app(stuck.appId)).status).toBe("failed");
    expect(await used()).toEqual({
      used_cpu_millicores: before.used_cpu_millicores + 250,
      used_memory_mb: before.used_memory_mb + 256,
    });

    expect((await job(fresh.jobId)).status).toBe("assigned");
    expect(await deployment(fresh.deploymentId)).toMatchObject({ status: "pending", reserved: true });

    const a = await app(stuck.appId);
    expect(publisher.events).toEqual([
      {
        type: "deployment.failed",
        app: { id: a.id, name: a.name, slug: a.slug, user_id: a.user_id },
        deployment: { id: stuck.deploymentId, commit_sha: "abc1234", commit_message: "fix the thing" },
        reason: timeoutError(),
        time: now,
      },
    ]);

    // Nothing is failed or released twice.
    expect(await recovery.runOnce()).toEqual({ failed: [] });
    expect(publisher.events).toHaveLength(1);
    expect(await used()).toEqual({
      used_cpu_millicores: before.used_cpu_millicores + 250,
      used_memory_mb: before.used_memory_mb + 256,
    });
  });

  it("ignores a job_result that arrives after recovery failed the job", async () => {
    const stuck = await assignedDeploy(db(), worker.id, { assignedAt: ago(30 * min) });
    expect(await recovery.runOnce()).toEqual({ failed: [stuck.jobId] });
    const [jobBefore, deploymentBefore, appBefore, usedBefore] = [
      await job(stuck.jobId),
      await deployment(stuck.deploymentId),
      await app(stuck.appId),
      await used(),
    ];

    const late = await completeJob(
      db(),
      {
        workerId: worker.id,
        jobId: stuck.jobId,
        success: true,
        error: null,
        logs: "done",
        containerId: "c1",
      },
      new Date(now.getTime() + min),
    );

    expect(late).toEqual({ kind: "ignored", status: "failed" });
    expect(await job(stuck.jobId)).toEqual(jobBefore);
    expect(await deployment(stuck.deploymentId)).toEqual(deploymentBefore);
    expect(await app(stuck.appId)).toEqual(appBefore);
    expect(await used()).toEqual(usedBefore);
  });

  it("fails processing jobs too, measuring age from updated_at when assigned_at is unset", async () => {
    const processing = await assignedDeploy(db(), worker.id, { assignedAt: ago(20 * min) });
    await db()
      .updateTable("jobs")
      .set({ status: "processing", started_at: ago(19 * min) })
      .where("id", "=", processing.jobId)
      .execute();
    const noAssignedAt = await assignedDeploy(db(), worker.id, { assignedAt: ago(20 * min) });
    await db()
      .updateTable("jobs")
      .set({ status: "processing", assigned_at: null, updated_at: ago(16 * min) })
      .where("id", "=", noAssignedAt.jobId)
      .execute();
    const recentlyUpdated = await assignedDeploy(db(), worker.id, { assignedAt: ago(20 * min) });
    await db()
      .updateTable("jobs")
      .set({ status: "processing", assigned_at: null, updated_at: ago(5 * min) })
      .where("id", "=", recentlyUpdated.jobId)
      .execute();

    expect(await recovery.runOnce()).toEqual({ failed: [processing.jobId, noAssignedAt.jobId] });
    expect((await job(processing.jobId)).status).toBe("failed");
    expect((await job(noAssignedAt.jobId)).status).toBe("failed");
    expect((await job(recentlyUpdated.jobId)).status).toBe("processing");
    expect((await deployment(recentlyUpdated.deploymentId)).reserved).toBe(true);
  });

  it("a failed redeploy leaves the app running on its current deployment", async () => {
    const user = await makeUser(db());
    const first = await assignedDeploy(db(), worker.id, { userId: user.id, cpu: 300, memory: 300 });
    await db().updateTable("jobs").set({ status: "completed" }).where("id", "=", first.jobId).execute();
    await db()
      .updateTable("deployments")
      .set({ status: "running" })
      .where("id", "=", first.deploymentId)
      .execute();
    await db()
      .updateTable("apps")
      .set({ status: "running", worker_id: worker.id, current_deployment_id: first.deploymentId })
      .where("id", "=", first.appId)
      .execute();
    const redeploy = await assignedDeploy(db(), worker.id, {
      appId: first.appId,
      userId: user.id,
      cpu: 300,
      memory: 300,
      assignedAt: ago(16 * min),
    });
    const before = await used();
    publisher.events.length = 0;

    expect(await recovery.runOnce()).toEqual({ failed: [redeploy.jobId] });

    expect(await app(first.appId)).toMatchObject({
      status: "running",
      current_deployment_id: first.deploymentId,
    });
    expect(await deployment(first.deploymentId)).toMatchObject({ status: "running", reserved: true });
    expect(await deployment(redeploy.deploymentId)).toMatchObject({ status: "failed", reserved: false });
    expect(await used()).toEqual({
      used_cpu_millicores: before.used_cpu_millicores - 300,
      used_memory_mb: before.used_memory_mb - 300,
    });
    expect(publisher.events.map((e) => [e.type, e.app.id, e.deployment?.id])).toEqual([
      ["deployment.failed", first.appId, redeploy.deploymentId],
    ]);
  });

  it("a stuck restart (no reservation) fails its app and releases nothing; a stuck stop only fails", async () => {
    const user = await makeUser(db());
    const restarted = await makeApp(db(), user.id, { status: "running", worker_id: worker.id });
    const stopped = await makeApp(db(), user.id, { status: "running", worker_id: worker.id });
    const restart = await db()
      .insertInto("jobs")
      .values({
        app_id: restarted.id,
        type: "restart",
        status: "assigned",
        worker_id: worker.id,
        assigned_at: ago(16 * min),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    const stop = await db()
      .insertInto("jobs")
      .values({
        app_id: stopped.id,
        type: "stop",
        status: "processing",
        worker_id: worker.id,
        assigned_at: ago(16 * min),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    const before = await used();
    publisher.events.length = 0;

    expect(await recovery.runOnce()).toEqual({ failed: [restart.id, stop.id] });

    expect(await job(restart.id)).toMatchObject({ status: "failed", error: timeoutError() });
    expect(await job(stop.id)).toMatchObject({ status: "failed", error: timeoutError() });
    expect((await app(restarted.id)).status).toBe("failed");
    expect((await app(stopped.id)).status).toBe("running");
    expect(await used()).toEqual(before);
    expect(publisher.events).toEqual([
      {
        type: "deployment.failed",
        app: { id: restarted.id, name: restarted.name, slug: restarted.slug, user_id: user.id },
        reason: timeoutError(),
        time: now,
      },
    ]);
  });

  it("names a deleted worker in the error", async () => {
    const gone = await makeWorker(db(), { status: "online", last_heartbeat: now });
    const stuck = await assignedDeploy(db(), gone.id, { assignedAt: ago(16 * min) });
    await db().deleteFrom("workers").where("id", "=", gone.id).execute();

    expect(await recovery.runOnce()).toEqual({ failed: [stuck.jobId] });
    expect((await job(stuck.jobId)).error).toBe(
      "job timed out after 900 s without a result from worker (deleted)",
    );
    expect(await deployment(stuck.deploymentId)).toMatchObject({ status: "failed", reserved: false });
  });
});
