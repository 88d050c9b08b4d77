import { EventEmitter } from "node:events";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Agent } from "../../src/agent/agent.js";
import type { FakeRuntime } from "../../src/agent/runtime/fake-runtime.js";
import {
  LABEL_APP_ID,
  LABEL_DEPLOYMENT_ID,
  LABEL_HOST_PORT,
  LABEL_MANAGED,
} from "../../src/agent/runtime/runtime.js";
import type { JobPayload } from "../../src/protocol/messages-server.js";
import type { JobResultPayload } from "../../src/protocol/messages-worker.js";
import { startTestControlPlane, type TestControlPlane } from "../helpers/control-plane.js";
import { assignedDeploy, type AssignedDeploy } from "../helpers/hub-fixtures.js";
import {
  handledTracker,
  makeTestAgent,
  nextEvent,
  WaitablePublisher,
  type TestAgent,
} from "../helpers/agent-fixtures.js";
import { validContext } from "../helpers/tar-fixtures.js";

const publisher = new WaitablePublisher();
const handled = handledTracker();
let cp: TestControlPlane;
const agents: Agent[] = [];

beforeAll(async () => {
  cp = await startTestControlPlane({ publisher, hub: { onHandled: handled.onHandled } });
});
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
});
afterAll(async () => {
  await cp.stop();
});

async function started(
  extra: Parameters<typeof makeTestAgent>[1] = {},
): Promise<TestAgent & { workerId: number }> {
  const t = await makeTestAgent(cp, extra);
  agents.push(t.agent);
  const connected = nextEvent<[{ worker_id: number }]>(t.agent, "connected");
  await t.agent.start();
  const [hello] = await connected;
  return { ...t, workerId: hello.worker_id };
}

/** Pushes the worker's assigned jobs and resolves once the agent sent `jobId`'s result and the hub handled it. */
async function runJob(agent: Agent, workerId: number, jobId: number): Promise<JobResultPayload> {
  const done = nextEvent<[JobPayload, JobResultPayload]>(agent, "jobDone", (j) => j.job_id === jobId);
  const stored = nextEvent(handled.emitter, "handled", (t) => t === "job_result");
  cp.parts.hub.pushJob(workerId);
  const [[, result]] = await Promise.all([done, stored]);
  return result;
}

async function imageDeploy(
  workerId: number,
  runtime: FakeRuntime,
  opts: { appId?: number; userId?: number } = {},
): Promise<AssignedDeploy> {
  runtime.images.add("localhost/test:1");
  return assignedDeploy(cp.t.db.kysely, workerId, opts);
}

async function job(id: number): Promise<{ status: string; started_at: Date | null; error: string | null }> {
  return cp.t.db.kysely
    .selectFrom("jobs")
    .select(["status", "started_at", "error"])
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
}

async function stopJob(
  a: AssignedDeploy,
  workerId: number,
  type: "stop" | "delete",
  deploymentId?: number,
): Promise<number> {
  const row = await cp.t.db.kysely
    .insertInto("jobs")
    .values({
      app_id: a.appId,
      type,
      status: "assigned",
      worker_id: workerId,
      deployment_id: deploymentId ?? null,
      assigned_at: new Date(),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

describe("agent jobs against a real control plane", () => {
  it("deploys an image: processing first, one result, labelled container published on the host port", async () => {
    const { agent, runtime, workerId } = await started({ wireguardIp: "10.8.0.9" });
    const d = await imageDeploy(workerId, runtime);
    const result = await runJob(agent, workerId, d.jobId);
    expect(result).toMatchObject({ success: true, error: null });
    const j = await job(d.jobId);
    expect(j.status).toBe("completed");
    expect(j.started_at).not.toBeNull(); // job_status processing came first
    const c = runtime.get(result.container_id as string);
    expect(c.state).toBe("running");
    expect(c.spec.hostIp).toBe("10.8.0.9");
    expect(c.spec.labels).toMatchObject({
      [LABEL_MANAGED]: "true",
      [LABEL_APP_ID]: String(d.appId),
      [LABEL_DEPLOYMENT_ID]: String(d.deploymentId),
      [LABEL_HOST_PORT]: String(c.spec.hostPort),
    });
    expect(c.spec.name).toMatch(new RegExp(`-d${d.deploymentId}$`));
    expect(runtime.networks.has("wisehosting")).toBe(true);
    expect(agent.registry.get(c.id)?.appId).toBe(d.appId);
  });

  it("fails a deploy of a missing image with 'image not found'", async () => {
    const { agent, workerId } = await started();
    const d = await assignedDeploy(cp.t.db.kysely, workerId);
    const result = await runJob(agent, workerId, d.jobId);
    expect(result.success).toBe(false);
    expect(result.error).toBe("image not found: localhost/test:1");
    expect((await job(d.jobId)).status).toBe("failed");
  });

  it("deploys an archive: downloads with the JWT, builds streaming build_log, runs", async () => {
    const { agent, runtime, workerId, dataDir } = await started();
    const d = await assignedDeploy(cp.t.db.kysely, workerId);
    const dir = await mkdtemp(path.join(tmpdir(), "wh-art-"));
    const file = path.join(dir, "context.tar.gz");
    await writeFile(file, await validContext());
    const image = `localhost/wisehosting/app:d${d.deploymentId}`;
    await cp.t.db.kysely
      .updateTable("deployments")
      .set({ source_kind: "archive", archive_path: file, image })
      .where("id", "=", d.deploymentId)
      .execute();
    const seen: string[][] = [];
    runtime.buildRule = (contextDir) => {
      seen.push([
        existsSync(path.join(contextDir, "Containerfile")) ? "Containerfile" : "-",
        existsSync(path.join(contextDir, "src/main.sh")) ? "src" : "-",
      ]);
      return { ok: true, output: ["STEP 1/2: FROM base", "STEP 2/2: COPY . /app", `COMMIT ${image}`] };
    };
    const result = await runJob(agent, workerId, d.jobId);
    expect(result.success).toBe(true);
    expect(seen).toEqual([["Containerfile", "src"]]);
    expect(runtime.get(result.container_id as string).spec.image).toBe(image);
    const dep = await cp.t.db.kysely
      .selectFrom("deployments")
      .select("build_logs")
      .where("id", "=", d.deploymentId)
      .executeTakeFirstOrThrow();
    expect(dep.build_logs).toContain("STEP 2/2: COPY . /app");
    // The build context is gone once built.
    expect(await readdir(path.join(dataDir, "builds"))).toEqual([]);
  });

  it("a failed build reports its last lines", async () => {
    const { agent, runtime, workerId } = await started();
    const d = await assignedDeploy(cp.t.db.kysely, workerId);
    const dir = await mkdtemp(path.join(tmpdir(), "wh-art-"));
    const file = path.join(dir, "context.tar.gz");
    await writeFile(file, await validContext());
    await cp.t.db.kysely
      .updateTable("deployments")
      .set({ source_kind: "archive", archive_path: file, image: "localhost/wisehosting/app:d1" })
      .where("id", "=", d.deploymentId)
      .execute();
    runtime.buildRule = () => ({
      ok: false,
      output: ["STEP 1/2: FROM base", "Error: no such file: missing.txt"],
    });
    const result = await runJob(agent, workerId, d.jobId);
    expect(result.success).toBe(false);
    expect(result.error).toContain("missing.txt");
  });

  it("a port that never opens fails the deploy, removes the new container and leaves the previous one serving", async () => {
    const { agent, runtime, workerId } = await started({ portTimeoutMs: 200 });
    const first = await imageDeploy(workerId, runtime);
    const ok = await runJob(agent, workerId, first.jobId);
    expect(ok.success).toBe(true);
    runtime.answerOnStart = false;
    const second = await imageDeploy(workerId, runtime, { appId: first.appId, userId: first.userId });
    const failed = await runJob(agent, workerId, second.jobId);
    expect(failed.success).toBe(false);
    expect(failed.error).toBe("port 8080 never opened (the app must listen on 0.0.0.0:$PORT)");
    const left = [...runtime.containers.values()];
    expect(left.map((c) => c.id)).toEqual([ok.container_id]);
    expect(left[0]?.state).toBe("running");
  });

  it("stop with a deployment_id retires that container only; delete removes the rest", async () => {
    const { agent, runtime, workerId } = await started();
    const a = await imageDeploy(workerId, runtime);
    const ra = await runJob(agent, workerId, a.jobId);
    const b = await imageDeploy(workerId, runtime, { appId: a.appId, userId: a.userId });
    const rb = await runJob(agent, workerId, b.jobId);
    expect(runtime.get(ra.container_id as string).state).toBe("running"); // start-first: the deploy did not stop it
    const stop = await stopJob(a, workerId, "stop", a.deploymentId);
    expect((await runJob(agent, workerId, stop)).success).toBe(true);
    expect(runtime.containers.has(ra.container_id as string)).toBe(false);
    expect(runtime.get(rb.container_id as string).state).toBe("running");
    const del = await stopJob(a, workerId, "delete");
    expect((await runJob(agent, workerId, del)).success).toBe(true);
    expect(runtime.containers.size).toBe(0);
    expect(agent.registry.all()).toEqual([]);
  });

  it("restarts a crashing app, reports the crash loop once and the control plane publishes app.crashloop", async () => {
    const { agent, runtime, workerId } = await started();
    const d = await imageDeploy(workerId, runtime);
    const r = await runJob(agent, workerId, d.jobId);
    const id = r.container_id as string;
    const crashed = nextEvent(handled.emitter, "handled", (t) => t === "app_status");
    for (let i = 0; i < 6; i++) {
      const restarted = nextEvent<[{ id: string; kind: string }]>(
        runtimeEvents(runtime),
        "event",
        (e) => e.id === id && e.kind === "start",
      );
      runtime.crash(id, 1);
      await restarted;
    }
    await crashed;
    const event = await publisher.waitFor((e) => e.type === "app.crashloop" && e.app.id === d.appId);
    expect(event.type).toBe("app.crashloop");
    expect(runtime.get(id).state).toBe("running"); // restarts go on
    const app = await cp.t.db.kysely
      .selectFrom("apps")
      .select("status")
      .where("id", "=", d.appId)
      .executeTakeFirstOrThrow();
    expect(app.status).toBe("crashed");
    void agent;
  });

  it("a clean exit that stays down reports the app stopped; a start reports it running again", async () => {
    const { agent, runtime, workerId } = await started();
    const d = await imageDeploy(workerId, runtime);
    const r = await runJob(agent, workerId, d.jobId);
    const stopped = nextEvent(handled.emitter, "handled", (t) => t === "app_status");
    runtime.crash(r.container_id as string, 0);
    await stopped;
    const appStatus = () =>
      cp.t.db.kysely.selectFrom("apps").select("status").where("id", "=", d.appId).executeTakeFirstOrThrow();
    expect((await appStatus()).status).toBe("stopped");
    await publisher.waitFor((e) => e.type === "app.stopped" && e.app.id === d.appId);
    expect(runtime.get(r.container_id as string).state).toBe("exited"); // exit 0 is not restarted
    const running = nextEvent(handled.emitter, "handled", (t) => t === "app_status");
    await runtime.start(r.container_id as string);
    await running;
    expect((await appStatus()).status).toBe("running");
  });

  it("an OOM kill is a violation", async () => {
    const { agent, runtime, workerId } = await started();
    const d = await imageDeploy(workerId, runtime);
    const r = await runJob(agent, workerId, d.jobId);
    runtime.oom(r.container_id as string);
    await publisher.waitFor((e) => e.type === "app.violation" && e.app.id === d.appId);
    void agent;
  });

  it("a SIGKILL near the memory limit is a violation where the runtime reports no OOM (cgroup v1)", async () => {
    const { agent, runtime, workerId } = await started({ statsIntervalMs: 20 });
    const d = await imageDeploy(workerId, runtime);
    const r = await runJob(agent, workerId, d.jobId);
    const id = r.container_id as string;
    runtime.setStats(id, { memBytes: 250 * 1024 * 1024, memLimitBytes: 256 * 1024 * 1024 });
    await expect.poll(() => cp.parts.hub.appStatsLive(d.appId)?.memBytes ?? 0).toBe(250 * 1024 * 1024);
    runtime.crash(id, 137);
    await publisher.waitFor((e) => e.type === "app.violation" && e.app.id === d.appId);
  });

  it("a SIGKILL far below the memory limit is a crash, not a violation", async () => {
    const { agent, runtime, workerId } = await started({ statsIntervalMs: 20 });
    const d = await imageDeploy(workerId, runtime);
    const r = await runJob(agent, workerId, d.jobId);
    const id = r.container_id as string;
    runtime.setStats(id, { memBytes: 10 * 1024 * 1024, memLimitBytes: 256 * 1024 * 1024 });
    await expect.poll(() => cp.parts.hub.appStatsLive(d.appId)?.memBytes ?? 0).toBe(10 * 1024 * 1024);
    runtime.crash(id, 137);
    // Restarted by the policy (a start after the death), and no violation among the events.
    await expect.poll(() => runtime.get(id).state, { timeout: 10_000 }).toBe("running");
    expect(publisher.events.some((e) => e.type === "app.violation" && e.app.id === d.appId)).toBe(false);
  });

  it("a container that died while no agent ran is restarted when the agent comes back", async () => {
    const first = await started();
    const d = await imageDeploy(first.workerId, first.runtime);
    const r = await runJob(first.agent, first.workerId, d.jobId);
    const id = r.container_id as string;
    await first.agent.stop();
    first.runtime.crash(id, 1);
    expect(first.runtime.get(id).state).toBe("exited");
    await started({ runtime: first.runtime, dataDir: first.dataDir });
    await expect.poll(() => first.runtime.get(id).state, { timeout: 10_000 }).toBe("running");
  });

  it("a restarted agent adopts its containers without restarting them, and their logs and stats flow", async () => {
    const first = await started();
    const d = await imageDeploy(first.workerId, first.runtime);
    const r = await runJob(first.agent, first.workerId, d.jobId);
    await first.agent.stop();
    const callsBefore = first.runtime.calls.length;
    const second = await started({ runtime: first.runtime, dataDir: first.dataDir, statsIntervalMs: 20 });
    expect(second.workerId).toBe(first.workerId);
    expect(second.agent.registry.get(r.container_id as string)?.appId).toBe(d.appId);
    const after = first.runtime.calls.slice(callsBefore).map((c) => c.method);
    expect(after.filter((m) => m === "run" || m === "stop" || m === "start" || m === "remove")).toEqual([]);
    const lines = new EventEmitter();
    const unsubscribe = cp.parts.logBus.subscribe(d.appId, (l) => lines.emit("line", l.line));
    const logged = nextEvent<[string]>(lines, "line", (l) => l === "hello from the adopted app");
    first.runtime.pushLog(r.container_id as string, "hello from the adopted app");
    await logged;
    unsubscribe();
    first.runtime.setStats(r.container_id as string, {
      cpuPct: 12.5,
      memBytes: 1000,
      memLimitBytes: 268435456,
      netTotalBytes: 1000,
      blockTotalBytes: 0,
    });
    await nextEvent(handled.emitter, "handled", (t) => t === "app_stats");
    await nextEvent(handled.emitter, "handled", (t) => t === "app_stats");
    expect(cp.parts.hub.appStats(d.appId)).toBeDefined();
  });
});

/** The runtime's events as an emitter (a second subscriber next to the agent's). */
function runtimeEvents(runtime: FakeRuntime): EventEmitter {
  const e = new EventEmitter();
  runtime.events((ev) => e.emit("event", ev));
  return e;
}
