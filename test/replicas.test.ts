import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { WorkerConnection } from "../src/agent/sim/worker-connection.js";
import { OWNERSHIP_TTL_MS } from "../src/api/app-ownership.js";
import { generateApiKey } from "../src/crypto/api-key.js";
import { openDatabase } from "../src/db/database.js";
import { startTestControlPlane, type TestControlPlane } from "./helpers/control-plane.js";
import {
  appStatsEntry,
  assignedDeploy,
  connectWorker,
  registerTestWorker,
  settle,
  succeed,
} from "./helpers/hub-fixtures.js";
import { makePendingDeploys } from "./helpers/scheduler-fixtures.js";
import { spawnServer, type ServerProcess } from "./helpers/server-process.js";
import { createPostgresDatabase, dropPostgresDatabase, silentLog } from "./helpers/test-db.js";

const adminUrl = process.env.TEST_DATABASE_URL;
const SECRET = "replica-shared-master-secret-0123456789";
const running: ServerProcess[] = [];
afterAll(() => {
  for (const s of running) s.child.kill("SIGKILL");
});

/**
 * Scale-out: replica A places a job for a worker connected to replica B; B
 * learns of it only through NOTIFY (its own scheduler is idle for the test,
 * and the job is created after the worker connected, so no replay on connect
 * can deliver it) and pushes it within a second.
 */
it.runIf(adminUrl)("a job assigned by replica A reaches a worker on replica B within 1 s", async () => {
  const url = await createPostgresDatabase(adminUrl!);
  const db = await openDatabase({ engine: "postgres", url }, silentLog);
  try {
    const start = async (intervalMs: number) => {
      const s = spawnServer({
        WISEHOSTING_DATA_DIR: await mkdtemp(path.join(tmpdir(), "wh-replica-")),
        WISEHOSTING_LISTEN: "127.0.0.1:0",
        WISEHOSTING_SECRET: SECRET,
        WISEHOSTING_SCHEDULER_INTERVAL_MS: String(intervalMs),
        DATABASE_URL: url,
      });
      running.push(s);
      return s.ready;
    };
    const [, urlB] = await Promise.all([start(100), start(3_600_000)]);
    const apiKey = generateApiKey();
    const reg = await fetch(`${urlB}/v1/workers/register`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${SECRET}` },
      body: JSON.stringify({ name: "replica-w", api_key: apiKey, cpu_millicores: 4000, memory_mb: 4096 }),
    });
    expect(reg.status).toBe(200);
    const conn = await WorkerConnection.connect({ baseUrl: urlB, token: apiKey, apiKey });
    const [jobId] = await makePendingDeploys(db.kysely, [{ cpu: 100, memory: 128 }]);
    const job = await conn.waitFor("job", (m) => m.payload.job_id === jobId, 10_000);
    // Timed from the start of A's placement tick (not from the insert: on a shared machine that tick may come late).
    const receivedAt = Date.now();
    const row = await db.kysely
      .selectFrom("jobs")
      .select("assigned_at")
      .where("id", "=", jobId!)
      .executeTakeFirstOrThrow();
    expect(receivedAt - row.assigned_at!.getTime()).toBeLessThan(1000);
    expect(job.payload.type).toBe("deploy");
    await conn.close();
    for (const s of running) s.child.kill("SIGTERM");
    expect(await Promise.all(running.map((s) => s.exited))).toEqual([0, 0]);
  } finally {
    await db.close();
    await dropPostgresDatabase(undefined, adminUrl!, url);
  }
});

/**
 * Ownership across replicas: worker a, on replica A, has told A it runs an
 * app; the app then moves to worker b through replica B. A learns of it only
 * through the placement NOTIFY sent in B's job_result transaction (its cached
 * answer would otherwise hold for OWNERSHIP_TTL_MS, 30 s), and ignores a's
 * further stats for the app well within a third of that.
 */
it.runIf(adminUrl)(
  "an app moved through replica B stops being its old worker's on replica A long before the ownership TTL",
  async () => {
    const cpA = await startTestControlPlane();
    let cpB: TestControlPlane | undefined;
    const conns: WorkerConnection[] = [];
    try {
      cpB = await startTestControlPlane({}, {}, { replicaOf: cpA });
      const db = cpA.t.db.kysely;
      const wa = await registerTestWorker(cpA);
      const wb = await registerTestWorker(cpB);
      const a = await connectWorker(cpA, wa);
      const b = await connectWorker(cpB, wb);
      conns.push(a, b);
      const first = await assignedDeploy(db, wa.id);
      cpA.parts.hub.pushJob(wa.id);
      await a.waitFor("job", (m) => m.payload.job_id === first.jobId);
      await succeed(a, first.jobId, "a");
      const report = (conn: WorkerConnection, cpu: number) => {
        conn.send("app_stats", { apps: [appStatsEntry(first.appId, cpu)] });
        return settle(conn);
      };
      // Until A's cache holds "a's": A's own NOTIFY about `first` may arrive while a lookup is in flight.
      const cached = () =>
        cpA.parts.hub.connection(wa.id)?.ownership.allOwnedIfKnown([{ app_id: first.appId }]);
      await expect
        .poll(async () => {
          await report(a, 10);
          return cached();
        })
        .toBe(true);
      expect(cpA.parts.hub.appStats(first.appId)?.cpuPct).toBe(10);

      // a's reservation ends and a deploy of the app completes on b, through B.
      await db
        .updateTable("deployments")
        .set({ reserved: false })
        .where("id", "=", first.deploymentId)
        .execute();
      const moved = await assignedDeploy(db, wb.id, { appId: first.appId, userId: first.userId });
      cpB.parts.hub.pushJob(wb.id);
      await b.waitFor("job", (m) => m.payload.job_id === moved.jobId);
      await succeed(b, moved.jobId, "b");

      // a keeps reporting, a new figure each time, until A stops taking them.
      let cpu = 10;
      await expect
        .poll(
          async () => {
            await report(a, ++cpu);
            return cpA.parts.hub.appStats(first.appId)?.cpuPct !== cpu;
          },
          { timeout: OWNERSHIP_TTL_MS / 3, interval: 20 },
        )
        .toBe(true);
      await report(a, 99);
      expect(cpA.parts.hub.appStats(first.appId)?.cpuPct).not.toBe(99);
    } finally {
      await Promise.all(conns.map((c) => c.close().catch(() => undefined)));
      await cpB?.stop();
      await cpA.stop();
    }
  },
);
