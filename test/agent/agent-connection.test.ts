import { EventEmitter } from "node:events";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Agent } from "../../src/agent/agent.js";
import { createLogger } from "../../src/log.js";
import { WorkerHealthMonitor } from "../../src/scheduler/worker-health.js";
import { startTestControlPlane, type TestControlPlane } from "../helpers/control-plane.js";
import { handledTracker, makeTestAgent, nextEvent } from "../helpers/agent-fixtures.js";

/** The control plane's and the agents' shared clock runs `offset` ms ahead of real time. */
let offset = 0;
const now = (): number => Date.now() + offset;
/** The control plane's workers.heartbeat_timeout_s here. */
const HEARTBEAT_TIMEOUT_S = 5;
let cp: TestControlPlane;
const handled = handledTracker();
const agents: Agent[] = [];

beforeAll(async () => {
  cp = await startTestControlPlane(
    { now: () => new Date(now()), hub: { onHandled: handled.onHandled } },
    { WISEHOSTING_WORKERS_HEARTBEAT_TIMEOUT_S: String(HEARTBEAT_TIMEOUT_S) },
  );
});
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
  offset = 0;
});
afterAll(async () => {
  await cp.stop();
});

async function startAgent(
  extra: Parameters<typeof makeTestAgent>[1] = {},
): Promise<{ agent: Agent; dataDir: string; workerId: number }> {
  const t = await makeTestAgent(cp, { now, ...extra });
  agents.push(t.agent);
  const connected = nextEvent<[{ worker_id: number }]>(t.agent, "connected");
  await t.agent.start();
  const [hello] = await connected;
  return { agent: t.agent, dataDir: t.dataDir, workerId: hello.worker_id };
}

function workerStatuses(ids: number[]): Promise<{ id: number; status: string }[]> {
  return cp.t.db.kysely.selectFrom("workers").select(["id", "status"]).where("id", "in", ids).execute();
}

describe("agent connection", () => {
  it("200 agents dropped at once all reconnect, and no worker is marked offline", async () => {
    const fleet: { agent: Agent; workerId: number }[] = [];
    for (let i = 0; i < 200; i += 20) {
      const batch = await Promise.all(
        Array.from({ length: 20 }, () =>
          startAgent({ heartbeatIntervalMs: 1_000, backoff: { baseMs: 200, capMs: 3_000 } }),
        ),
      );
      fleet.push(...batch);
    }
    expect(cp.parts.hub.connectionCount).toBe(200);
    const beats = new EventEmitter();
    let counted = 0;
    const heartbeatsHandled = (n: number): Promise<unknown> =>
      counted >= n ? Promise.resolve() : nextEvent(beats, "beat", () => counted >= n, 60_000);
    handled.emitter.on("handled", (type: string) => {
      if (type !== "heartbeat" || !counting) return;
      counted += 1;
      beats.emit("beat");
    });
    let counting = false;
    const back = fleet.map(({ agent }) =>
      nextEvent(agent, "disconnected").then(() => nextEvent(agent, "connected", () => true, 60_000)),
    );
    await cp.parts.hub.stop(); // closes every connection with 1001
    counting = true;
    await Promise.all(back);
    expect(cp.parts.hub.connectionCount).toBe(200);
    // Each new connection sends a heartbeat at once; write them, then judge the fleet.
    await heartbeatsHandled(200);
    await cp.parts.heartbeats.flush();
    // Judged by the control plane's rules, without its start-up grace (the heartbeat timeout
    // after start, during which it judges nobody): this test can finish inside it.
    const monitor = new WorkerHealthMonitor({
      db: cp.t.db.kysely,
      log: createLogger("silent"),
      now: () => new Date(now()),
      heartbeatTimeoutS: HEARTBEAT_TIMEOUT_S,
      startedAt: new Date(0),
    });
    const health = await monitor.runOnce();
    expect(health.skipped).toBeUndefined();
    expect(health.offline).toEqual([]);
    const statuses = await workerStatuses(fleet.map((f) => f.workerId));
    expect(statuses.filter((s) => s.status !== "online")).toEqual([]);
  }, 180_000);

  it("first run registers and writes api-key 0600 in a 0700 dir; a restart reuses it without a bearer", async () => {
    const first = await startAgent();
    const keyFile = path.join(first.dataDir, "api-key");
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect((await stat(first.dataDir)).mode & 0o777).toBe(0o700);
    const key = (await readFile(keyFile, "utf8")).trim();
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    await first.agent.stop();
    const again = await startAgent({ dataDir: first.dataDir, bearer: "" });
    expect(again.workerId).toBe(first.workerId);
    expect((await readFile(keyFile, "utf8")).trim()).toBe(key);
    const rows = await cp.t.db.kysely
      .selectFrom("workers")
      .select("id")
      .where("id", "=", first.workerId)
      .execute();
    expect(rows).toHaveLength(1);
  });

  it("reconnects with backoff after the server drops the socket", async () => {
    const { agent, workerId } = await startAgent({ random: () => 0, backoff: { baseMs: 50, capMs: 1_000 } });
    const dropped = nextEvent<[{ code: number }]>(agent, "disconnected");
    const again = nextEvent(agent, "connected");
    const t0 = Date.now();
    cp.parts.hub.connection(workerId)?.close(4001, "test drop");
    const [info] = await dropped;
    expect(info.code).toBe(4001);
    await again;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25); // half the base delay at random() = 0
    expect(agent.connection?.isOpen).toBe(true);
  });

  it("gets a fresh JWT when the held one has expired (injected clock)", async () => {
    const { agent, workerId } = await startAgent();
    const before = agent.token;
    expect(before).toBeDefined();
    offset = 16 * 60_000; // past the 15-minute lifetime
    const again = nextEvent(agent, "connected");
    cp.parts.hub.connection(workerId)?.close(4001, "test drop");
    await again;
    expect(agent.token).not.toBe(before);
    const claims = JSON.parse(
      Buffer.from((agent.token as string).split(".")[1] as string, "base64url").toString(),
    ) as {
      exp: number;
    };
    expect(claims.exp * 1000).toBeGreaterThan(now() + 10 * 60_000);
  });
});
