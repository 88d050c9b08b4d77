import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { WorkerConnection } from "../src/agent/sim/worker-connection.js";
import { generateApiKey } from "../src/crypto/api-key.js";
import { openDatabase } from "../src/db/database.js";
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
    const t0 = Date.now();
    const [jobId] = await makePendingDeploys(db.kysely, [{ cpu: 100, memory: 128 }]);
    const job = await conn.waitFor("job", (m) => m.payload.job_id === jobId, 1000);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(job.payload.type).toBe("deploy");
    await conn.close();
    for (const s of running) s.child.kill("SIGTERM");
    expect(await Promise.all(running.map((s) => s.exited))).toEqual([0, 0]);
  } finally {
    await db.close();
    await dropPostgresDatabase(undefined, adminUrl!, url);
  }
});
