import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import os from "node:os";
import path from "node:path";
import { WebSocketServer, type RawData } from "ws";
import { rawToText } from "../src/agent/sim/handshake.js";
import { HttpListener } from "../src/api/http-listener.js";
import { loadConfig } from "../src/config/load.js";
import { startAll, stopAll } from "../src/lifecycle.js";
import { createLogger } from "../src/log.js";
import { buildControlPlane } from "../src/main.js";
import { MAX_FRAME_BYTES } from "../src/protocol/envelope.js";
import { openBenchDatabase, seedApps } from "./hub-db.js";
import { LogTally } from "./log-tally.js";
import type {
  FromServer,
  HubReplies,
  HubRequest,
  MemorySample,
  Ready,
  Report,
  ToServer,
  WaitReply,
} from "./hub-ipc.js";
import { epochMs, percentile, sleep } from "./util.js";

/**
 * The server side of `npm run bench -- hub`, forked by hub.ts with the mode
 * as its argument: `ours` builds the real control plane (fastify, hub,
 * dispatcher, heartbeat batcher) on a fresh database; `bare` is a plain `ws`
 * server that only JSON.parses each frame. It answers the requests of
 * hub-ipc.ts until told to stop.
 */

const MEMORY_SETTLE_MS = 10_000;
const MEMORY_MAX_MS = 30_000;
const MEMORY_STABLE_BYTES = 512 * 1024;

/** Counts handled messages since the last reset; see the counting contract in hub-ipc.ts. */
class Counter {
  handled = 0;
  private latencies: number[] = [];
  private cpu0 = process.cpuUsage();
  private waiter: { count: number; resolve: (r: WaitReply) => void } | undefined;

  count(ms?: number): void {
    this.handled++;
    if (ms !== undefined) this.latencies.push(ms);
    if (this.waiter && this.handled >= this.waiter.count) this.settle(true);
  }

  reset(): void {
    this.handled = 0;
    this.latencies = [];
    this.cpu0 = process.cpuUsage();
  }

  wait(count: number, stallMs: number): Promise<WaitReply> {
    return new Promise((resolve) => {
      this.waiter = { count, resolve };
      if (this.handled >= count) return this.settle(true);
      let seen = this.handled;
      let movedAt = epochMs();
      const check = (): void => {
        if (this.waiter?.resolve !== resolve) return;
        if (this.handled !== seen) [seen, movedAt] = [this.handled, epochMs()];
        if (epochMs() - movedAt >= stallMs) this.settle(false, movedAt);
        else setTimeout(check, 250);
      };
      setTimeout(check, 250);
    });
  }

  percentiles(): { p50Ms: number | null; p99Ms: number | null } {
    if (this.latencies.length === 0) return { p50Ms: null, p99Ms: null };
    return { p50Ms: percentile(this.latencies, 0.5), p99Ms: percentile(this.latencies, 0.99) };
  }

  /** `at` defaults to now; a stalled wait reports when the count last moved. */
  private settle(reached: boolean, at = epochMs()): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    const cpu = process.cpuUsage(this.cpu0);
    waiter?.resolve({ reached, handled: this.handled, at, cpuMicros: cpu.user + cpu.system });
  }
}

interface Running {
  ready: Ready;
  connections(): number;
  liveApps(): number | null;
  logged(): Record<string, number>;
  seed?: (workerIds: number[], perWorker: number) => Promise<number[][]>;
  stop(): Promise<void>;
}

async function startOurs(counter: Counter): Promise<Running> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "wh-bench-"));
  const secret = randomBytes(32).toString("hex");
  const config = await loadConfig({
    env: { WISEHOSTING_DATA_DIR: dataDir, WISEHOSTING_LISTEN: "127.0.0.1:0", WISEHOSTING_SECRET: secret },
  });
  const tally = new LogTally();
  const log = createLogger("warn", tally.stream);
  const bench = await openBenchDatabase(process.env.BENCH_DATABASE_URL || undefined, log).catch(
    async (err: unknown) => {
      await rm(dataDir, { recursive: true, force: true });
      throw err;
    },
  );
  const plane = buildControlPlane(config, bench.db, log, {
    hub: { onHandled: (_type, ms) => counter.count(ms) },
  });
  const listener = new HttpListener(plane.app, config.server.listen);
  const services = [...plane.services, listener];
  const cleanUp = async (): Promise<void> => {
    await bench.dispose();
    await rm(dataDir, { recursive: true, force: true });
  };
  await startAll(services, log).catch(async (err: unknown) => {
    await cleanUp();
    throw err;
  });
  return {
    ready: { port: listener.address?.port ?? 0, secret, database: bench.db.description },
    connections: () => plane.parts.hub.connectionCount,
    liveApps: () => plane.parts.stats.size,
    logged: () => tally.snapshot(),
    seed: (workerIds, perWorker) => seedApps(bench.db, workerIds, perWorker),
    stop: async () => {
      await stopAll(services, log);
      await cleanUp();
    },
  };
}

async function startBare(counter: Counter): Promise<Running> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, maxPayload: MAX_FRAME_BYTES });
  await once(wss, "listening");
  wss.on("connection", (ws) => {
    ws.on("message", (data: RawData) => {
      JSON.parse(rawToText(data));
      counter.count();
    });
  });
  const addr = wss.address();
  return {
    ready: { port: typeof addr === "object" && addr ? addr.port : 0, secret: null, database: null },
    connections: () => wss.clients.size,
    liveApps: () => null,
    logged: () => ({}),
    stop: async () => {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/**
 * RSS is noisy: V8 hands freed pages back on its own schedule, in steps
 * seconds apart (its memory reducer waits about 8 s after a GC). So: GC and
 * read every 2 s until at least MEMORY_SETTLE_MS have passed and two
 * readings in a row agree within MEMORY_STABLE_BYTES (or MEMORY_MAX_MS is
 * up). The heap figure is exact after a GC but misses native memory.
 */
async function settledMemory(): Promise<MemorySample> {
  const started = Date.now();
  let prev = readMemory();
  for (;;) {
    await sleep(2000);
    const cur = readMemory();
    const waited = Date.now() - started;
    const stable = Math.abs(cur.rss - prev.rss) < MEMORY_STABLE_BYTES;
    if ((stable && waited >= MEMORY_SETTLE_MS) || waited >= MEMORY_MAX_MS) return cur;
    prev = cur;
  }
}

function readMemory(): MemorySample {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed + m.external };
}

/**
 * With HUB_BENCH_PROFILE_DIR=<dir> in the environment, each server profiles
 * its first timed phase (from the first `reset` to the first `report`: the
 * first round's flat-out run) and writes it to <dir>: a CPU profile,
 * hub-<mode>.cpuprofile (Chrome DevTools format), or with
 * HUB_BENCH_PROFILE_KIND=heap a sampling heap profile of every allocation,
 * collected or not, hub-<mode>.heapprofile (what allocates, and how much
 * per envelope). Bench-only.
 */
class PhaseProfiler {
  private session: Session | undefined;
  private done = false;

  constructor(
    private readonly file: string | undefined,
    private readonly heap: boolean,
  ) {}

  async begin(): Promise<void> {
    if (!this.file || this.session || this.done) return;
    this.session = new Session();
    this.session.connect();
    if (this.heap) {
      await this.session.post("HeapProfiler.enable");
      await this.session.post("HeapProfiler.startSampling", {
        samplingInterval: 4096,
        includeObjectsCollectedByMinorGC: true,
        includeObjectsCollectedByMajorGC: true,
      });
      return;
    }
    await this.session.post("Profiler.enable");
    await this.session.post("Profiler.setSamplingInterval", { interval: 200 });
    await this.session.post("Profiler.start");
  }

  async end(): Promise<void> {
    const session = this.session;
    if (!this.file || !session || this.done) return;
    this.done = true;
    const { profile } = this.heap
      ? await session.post("HeapProfiler.stopSampling")
      : await session.post("Profiler.stop");
    session.disconnect();
    await writeFile(this.file, JSON.stringify(profile));
  }
}

const profileDir = process.env.HUB_BENCH_PROFILE_DIR;
const heapProfile = process.env.HUB_BENCH_PROFILE_KIND === "heap";
const profiler = new PhaseProfiler(
  profileDir
    ? path.join(
        profileDir,
        `hub-${process.argv[2] ?? "unknown"}.${heapProfile ? "heapprofile" : "cpuprofile"}`,
      )
    : undefined,
  heapProfile,
);

async function handle(
  server: Running,
  counter: Counter,
  req: HubRequest,
): Promise<HubReplies[HubRequest["op"]]> {
  switch (req.op) {
    case "seed":
      if (!server.seed) throw new Error("this server has no database to seed");
      return { appIds: await server.seed(req.workerIds, req.appsPerWorker) };
    case "memory":
      return settledMemory();
    case "reset":
      await profiler.begin();
      counter.reset();
      return {};
    case "wait":
      return counter.wait(req.count, req.stallMs);
    case "report":
      await profiler.end();
      return {
        handled: counter.handled,
        ...counter.percentiles(),
        liveApps: server.liveApps(),
        connections: server.connections(),
        logged: server.logged(),
      } satisfies Report;
    case "stop":
      await profiler.end();
      await server.stop();
      return {};
  }
}

function send(msg: FromServer, then?: () => void): void {
  process.send?.(msg, undefined, undefined, then);
}

async function main(): Promise<void> {
  const counter = new Counter();
  const mode = process.argv[2];
  let server: Running;
  try {
    if (mode !== "ours" && mode !== "bare") throw new Error(`unknown mode ${mode}`);
    server = mode === "ours" ? await startOurs(counter) : await startBare(counter);
  } catch (err) {
    send({ fatal: err instanceof Error ? err.message : String(err) }, () => process.exit(1));
    return;
  }
  // The parent went away without a stop: clean up (scratch database, temp dir) and leave.
  process.once("disconnect", () => void server.stop().finally(() => process.exit(1)));
  process.on("message", (msg: ToServer) => {
    handle(server, counter, msg.req).then(
      (res) => send({ id: msg.id, ok: true, res }, msg.req.op === "stop" ? () => process.exit(0) : undefined),
      (err: unknown) =>
        send({ id: msg.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
    );
  });
  send({ ready: server.ready });
}

void main();
