import { sql, type Kysely } from "kysely";
import { WorkerConnection } from "../../src/agent/sim/worker-connection.js";
import { generateApiKey } from "../../src/crypto/api-key.js";
import type { DB } from "../../src/db/schema.js";
import { makeApp, makeUser, unique } from "./db-fixtures.js";
import { TEST_SECRET, type TestControlPlane } from "./control-plane.js";

export interface TestWorker {
  id: number;
  name: string;
  apiKey: string;
  token: string;
}

/** Registers a worker through the real endpoint with the master secret. */
export async function registerTestWorker(
  cp: TestControlPlane,
  opts: { name?: string; cpu?: number; memory?: number } = {},
): Promise<TestWorker> {
  const apiKey = generateApiKey();
  const name = opts.name ?? unique("w");
  const res = await fetch(`${cp.url}/v1/workers/register`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${TEST_SECRET}` },
    body: JSON.stringify({
      name,
      api_key: apiKey,
      cpu_millicores: opts.cpu ?? 4000,
      memory_mb: opts.memory ?? 8192,
    }),
  });
  if (res.status !== 200) throw new Error(`register failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { worker: { id: number }; token: string };
  return { id: body.worker.id, name, apiKey, token: body.token };
}

export function connectWorker(
  cp: TestControlPlane,
  w: TestWorker,
  now?: () => number,
): Promise<WorkerConnection> {
  return WorkerConnection.connect({
    baseUrl: cp.url,
    token: w.token,
    apiKey: w.apiKey,
    ...(now ? { now } : {}),
  });
}

/** Everything the worker sent before this probe has been handled once its not_found reply arrives. */
export async function settle(conn: WorkerConnection): Promise<void> {
  const seq = conn.send("job_status", { job_id: 2_000_000_000, status: "processing" });
  await conn.waitFor("error", (m) => m.env.reply_to === seq);
}

/** Reports the job done, with `containerId`, and waits until the hub has handled it. */
export async function succeed(conn: WorkerConnection, jobId: number, containerId: string): Promise<void> {
  conn.send("job_result", { job_id: jobId, success: true, error: null, logs: "", container_id: containerId });
  await settle(conn);
}

/** One app's entry of an app_stats message: `cpuPct` as given, 1 of 2 bytes of memory, no I/O. */
export function appStatsEntry(appId: number, cpuPct: number) {
  return {
    app_id: appId,
    cpu_pct: cpuPct,
    mem_bytes: 1,
    mem_limit_bytes: 2,
    net_mbps: 0,
    net_total_bytes: 0,
    disk_mbps: 0,
  };
}

export interface AssignedDeploy {
  appId: number;
  userId: number;
  deploymentId: number;
  jobId: number;
}

/**
 * What the scheduler leaves behind for a deploy it placed: an app, a
 * deployment holding a reservation and host port on the worker, the worker's
 * used counters raised, and the job `assigned` to it.
 */
export async function assignedDeploy(
  db: Kysely<DB>,
  workerId: number,
  opts: {
    cpu?: number;
    memory?: number;
    hostPort?: number;
    appId?: number;
    userId?: number;
    assignedAt?: Date;
  } = {},
): Promise<AssignedDeploy> {
  const cpu = opts.cpu ?? 250;
  const memory = opts.memory ?? 256;
  const userId = opts.userId ?? (await makeUser(db)).id;
  const appId = opts.appId ?? (await makeApp(db, userId, { cpu_millicores: cpu, memory_mb: memory })).id;
  const hostPort =
    opts.hostPort ??
    (
      await sql<{
        p: number;
      }>`SELECT coalesce(max(host_port), 19999) + 1 AS p FROM deployments WHERE worker_id = ${workerId}`.execute(
        db,
      )
    ).rows[0]!.p;
  const deployment = await db
    .insertInto("deployments")
    .values({
      app_id: appId,
      source_kind: "image",
      image: "localhost/test:1",
      cpu_millicores: cpu,
      memory_mb: memory,
      worker_id: workerId,
      host_port: hostPort,
      reserved: true,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  await db
    .updateTable("workers")
    .set((eb) => ({
      used_cpu_millicores: eb("used_cpu_millicores", "+", cpu),
      used_memory_mb: eb("used_memory_mb", "+", memory),
    }))
    .where("id", "=", workerId)
    .execute();
  const job = await db
    .insertInto("jobs")
    .values({
      app_id: appId,
      deployment_id: deployment.id,
      type: "deploy",
      status: "assigned",
      cpu_millicores: cpu,
      memory_mb: memory,
      worker_id: workerId,
      host_port: hostPort,
      assigned_at: opts.assignedAt ?? new Date(),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return { appId, userId, deploymentId: deployment.id, jobId: job.id };
}
