import { afterEach, beforeEach, describe, expect, it } from "vitest";

import type { JobPayload } from "../../protocol/messages-server.js";
import type { JobOutcome, SimWorkerOptions } from "./sim-worker.js";
import { SimWorker } from "./sim-worker.js";
import { FakeControlPlane } from "./testing/fake-control-plane.js";
import type { FakeWorkerSocket } from "./testing/fake-worker-socket.js";

const MASTER = "m".repeat(40);

function deploy(jobId: number, appId = 3, deploymentId = 9): JobPayload {
  return {
    job_id: jobId,
    type: "deploy",
    app: { id: appId, slug: `app-${appId}`, name: `app-${appId}` },
    deploy: {
      deployment_id: deploymentId,
      image: `localhost/app-${appId}:${deploymentId}`,
      source: { kind: "archive", url: `/v1/workers/artifacts/${deploymentId}` },
      env: {},
      cpu_millicores: 500,
      memory_mb: 256,
      internal_port: 8080,
      host_port: 20001,
      network: "wisehosting",
    },
  };
}

describe("SimWorker", () => {
  let cp: FakeControlPlane;
  const workers: SimWorker[] = [];

  beforeEach(async () => {
    cp = await FakeControlPlane.start({ masterSecret: MASTER, heartbeatIntervalS: 30, statsIntervalS: 10 });
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
    await cp.close();
  });

  async function startWorker(
    extra: Partial<SimWorkerOptions> = {},
  ): Promise<{ sim: SimWorker; socket: FakeWorkerSocket }> {
    const sim = new SimWorker({
      baseUrl: cp.baseUrl,
      name: "sim-1",
      bearer: MASTER,
      cpuMillicores: 4000,
      memoryMb: 8192,
      ...extra,
    });
    workers.push(sim);
    await sim.start();
    return { sim, socket: await cp.nextSocket() };
  }

  it("registers, connects with its JWT and sends a heartbeat at once", async () => {
    const { sim, socket } = await startWorker({ zone: "eu-central" });
    expect(sim.worker).toMatchObject({ id: 1, name: "sim-1", zone: "eu-central" });
    expect(sim.token).toMatch(/^fake\./);
    expect(sim.apiKey).toMatch(/^[0-9a-f]{64}$/);
    const hb = await socket.waitFor("heartbeat");
    expect(hb.env.seq).toBe(1);
    expect(hb.payload).toMatchObject({ mem_total_mb: 8192, running_apps: 0 });
  });

  it("sends heartbeats on the configured interval", async () => {
    const { socket } = await startWorker({ heartbeatIntervalMs: 10 });
    for (let i = 1; i <= 3; i++) expect((await socket.waitFor("heartbeat")).env.seq).toBe(i);
  });

  it("answers a job with processing, then a result, and reports stats for the deployed app", async () => {
    const { sim, socket } = await startWorker({ statsIntervalMs: 10 });
    const done = new Promise<[JobPayload, JobOutcome]>((resolve) =>
      sim.once("jobDone", (...a) => resolve(a)),
    );
    const jobSeq = socket.send("job", deploy(42));
    const status = await socket.waitFor("job_status");
    expect(status.payload).toEqual({ job_id: 42, status: "processing" });
    expect(status.env.reply_to).toBe(jobSeq);
    const result = await socket.waitFor("job_result");
    expect(result.payload).toMatchObject({
      job_id: 42,
      success: true,
      error: null,
      container_id: "sim-app-3-9",
    });
    expect(result.env.reply_to).toBe(jobSeq);
    expect((await done)[0].job_id).toBe(42);
    expect([...sim.apps.keys()]).toEqual([3]);

    const stats = await socket.waitFor("app_stats");
    const [entry] = stats.payload.apps;
    expect(entry).toMatchObject({ app_id: 3, mem_limit_bytes: 256 * 1024 * 1024 });
    expect(entry?.mem_bytes).toBeLessThanOrEqual(256 * 1024 * 1024);
    expect(socket.frames.every((f) => "env" in f.result)).toBe(true);
  });

  it("reports failures after the configured delay and runs one job at a time", async () => {
    const { sim, socket } = await startWorker({
      jobBehaviour: (job) =>
        job.job_id === 1
          ? { success: false, delayMs: 30, error: "image pull failed", logs: "pulling...\n" }
          : { success: true },
    });
    socket.send("job", deploy(1));
    socket.send("job", deploy(2, 4, 10));
    await socket.waitFor("job_result", (m) => m.payload.job_id === 2);
    const order = socket.frames
      .map((f) => ("env" in f.result ? f.result : null))
      .filter((m) => m?.type === "job_status" || m?.type === "job_result")
      .map((m) => `${m?.type}:${(m?.payload as { job_id: number }).job_id}`);
    expect(order).toEqual(["job_status:1", "job_result:1", "job_status:2", "job_result:2"]);
    const failed = await socket.waitFor("job_result", (m) => m.payload.job_id === 1);
    expect(failed.payload).toMatchObject({
      success: false,
      error: "image pull failed",
      logs: "pulling...\n",
    });
    expect(failed.payload.container_id).toBeNull();
    expect([...sim.apps.keys()]).toEqual([4]);
  });

  it("forgets an app on a successful stop of it, but not on retiring an older deployment", async () => {
    const { sim, socket } = await startWorker();
    socket.send("job", deploy(1, 3, 9));
    socket.send("job", {
      job_id: 2,
      type: "stop",
      app: { id: 3, slug: "app-3", name: "app-3" },
      deployment_id: 8,
    });
    await socket.waitFor("job_result", (m) => m.payload.job_id === 2);
    expect(sim.apps.has(3)).toBe(true);
    socket.send("job", { job_id: 3, type: "delete", app: { id: 3, slug: "app-3", name: "app-3" } });
    await socket.waitFor("job_result", (m) => m.payload.job_id === 3);
    expect(sim.apps.size).toBe(0);
  });

  it("refreshes its JWT before expiry", async () => {
    await cp.close();
    cp = await FakeControlPlane.start({ masterSecret: MASTER, tokenTtlMs: 120_000 + 50 });
    const { sim } = await startWorker();
    const first = sim.token;
    await new Promise((resolve) => sim.once("tokenRefreshed", resolve));
    expect(sim.token).not.toBe(first);
    expect(cp.refreshes).toBeGreaterThanOrEqual(1);
  });

  it("sends extra messages on demand, all accepted by the server codec", async () => {
    const { sim, socket } = await startWorker();
    sim.sendRuntimeLog([
      { app_id: 3, line: "GET / 200" },
      { app_id: 3, line: "oops", stream: "stderr" },
    ]);
    sim.sendBuildLog(42, "STEP 1/3\n");
    sim.sendAppStatus({ app_id: 3, status: "crashed", reason: "crashloop", exit_code: 1 });
    sim.sendViolation(3, "memory limit exceeded");
    sim.sendAppStats([]);
    const log = await socket.waitFor("runtime_log");
    expect(log.payload.lines.map((l) => [l.stream, l.line])).toEqual([
      ["stdout", "GET / 200"],
      ["stderr", "oops"],
    ]);
    expect((await socket.waitFor("build_log")).payload).toEqual({ job_id: 42, logs: "STEP 1/3\n" });
    expect((await socket.waitFor("app_status")).payload).toMatchObject({
      status: "crashed",
      reason: "crashloop",
    });
    expect((await socket.waitFor("violation")).payload.reason).toBe("memory limit exceeded");
    expect((await socket.waitFor("app_stats")).payload.apps).toEqual([]);
  });

  it("stop() is idempotent, safe before start, and closes the socket with 1000", async () => {
    const idle = new SimWorker({
      baseUrl: cp.baseUrl,
      name: "idle",
      bearer: MASTER,
      cpuMillicores: 1,
      memoryMb: 1,
    });
    await idle.stop();
    await idle.stop();
    const { sim, socket } = await startWorker({ heartbeatIntervalMs: 5 });
    await Promise.all([sim.stop(), sim.stop()]);
    expect((await socket.closed).code).toBe(1000);
    expect(sim.connection).toBeUndefined();
    expect(() => sim.sendHeartbeat()).toThrow(/not connected/);
  });

  it("stop() abandons a job in flight without sending its result", async () => {
    const { sim, socket } = await startWorker({ jobBehaviour: () => ({ success: true, delayMs: 60_000 }) });
    socket.send("job", deploy(1));
    await socket.waitFor("job_status");
    await sim.stop();
    expect((await socket.closed).code).toBe(1000);
    expect(socket.frames.some((f) => "type" in f.result && f.result.type === "job_result")).toBe(false);
    expect(sim.apps.size).toBe(0);
  });

  it("reconnects with its existing registration after stop() and start()", async () => {
    const { sim } = await startWorker();
    const id = sim.worker?.id;
    await sim.stop();
    await sim.start();
    const socket = await cp.nextSocket();
    expect((await socket.waitFor("heartbeat")).env.seq).toBe(1);
    expect(sim.worker?.id).toBe(id);
  });

  it("emits disconnected when the server closes the socket", async () => {
    const { sim, socket } = await startWorker();
    const gone = new Promise((resolve) => sim.once("disconnected", resolve));
    await socket.close(4000, "replaced");
    expect(await gone).toEqual({ code: 4000, reason: "replaced" });
  });

  it("fails start() with the HTTP error when registration is refused", async () => {
    const sim = new SimWorker({
      baseUrl: cp.baseUrl,
      name: "x",
      bearer: "wrong",
      cpuMillicores: 1,
      memoryMb: 1,
    });
    workers.push(sim);
    await expect(sim.start()).rejects.toMatchObject({ status: 401, code: "unauthorized" });
  });
});
