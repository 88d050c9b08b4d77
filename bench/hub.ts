import os from "node:os";
import type WebSocket from "ws";
import { checkFlags, intFlag } from "./args.js";
import {
  connectBare,
  connectOurs,
  Inbound,
  makePlan,
  pace,
  pump,
  registerWorkers,
  signSegment,
  type OursSocket,
  type Plan,
} from "./hub-clients.js";
import { ServerProcess } from "./hub-ipc.js";
import { printHubReport, rate, type HubFigures, type Memory, type PhaseResult } from "./hub-report.js";
import { epochMs, fmtInt, fmtNum, sleep } from "./util.js";

/**
 * `npm run bench -- hub [--workers N] [--envelopes N] [--database-url URL]`
 *
 * N simulated workers on loopback send heartbeats and app_stats (10 apps
 * each) to the real control plane, in the 1:3 mix of their 30 s / 10 s
 * periods, compressed in time: as fast as the hub takes them, for a fixed
 * number of envelopes. Then the same frames, over the same number of
 * sockets, go to a bare `ws` server that only JSON.parses them. Each server
 * runs in its own process (hub-server.ts), so its RSS and CPU are its own.
 *
 * At saturation, receipt-to-handled time is mostly queueing, so latency is
 * also measured at half the measured throughput. Goals (ratio ≥ 0.5, ≤ 20 KB
 * per idle connection) are reported, not enforced.
 */

export const HUB_USAGE = "hub [--workers 2000] [--envelopes 200000] [--database-url postgres://...]";

const APPS_PER_WORKER = 10;
/** Envelopes signed and sent per segment (see makePlan). */
const SEGMENT_ENVELOPES = 40_000;
/** A server whose count has not moved this long is reported as stalled. */
const STALL_MS = 15_000;
/** The latency phase offers this share of the measured throughput, for at most PACED_MAX_S. */
const PACED_LOAD = 0.5;
const PACED_MAX_S = 8;

/**
 * Connects workers [0, n/2) and then [n/2, n), reading the server's memory
 * after each half (the server waits until its memory settles, at least 10 s). The per-connection figure is the
 * slope between the two readings, so one-off costs (code first run by the
 * first connection, heap resizing after set-up) do not count as per-connection.
 */
async function connectMeasured(
  server: ServerProcess,
  n: number,
  connect: (from: number, to: number) => Promise<void>,
): Promise<{ memory: Omit<Memory, "after">; seconds: number }> {
  const half = Math.floor(n / 2);
  let t = performance.now();
  await connect(0, half);
  let seconds = (performance.now() - t) / 1000;
  const atHalf = await server.call({ op: "memory" });
  t = performance.now();
  await connect(half, n);
  seconds += (performance.now() - t) / 1000;
  const idle = await server.call({ op: "memory" });
  return { memory: { atHalf, half, idle, n }, seconds };
}

/** Sends the plan segment by segment; only the sending and handling are timed, not the signing. */
async function runMessages(
  server: ServerProcess,
  sockets: readonly WebSocket[],
  plan: Plan,
  framesFor: (segment: number, fromRound: number, toRound: number) => string[][],
): Promise<PhaseResult> {
  await server.call({ op: "reset" });
  const result = { sent: 0, handled: 0, reached: true, elapsedMs: 0, serverCpuMs: 0, clientCpuMs: 0 };
  for (let s = 0, from = 0; from < plan.rounds && result.reached; s++, from += plan.roundsPerSegment) {
    const frames = framesFor(s, from, from + plan.roundsPerSegment);
    result.sent += frames.reduce((n, f) => n + f.length, 0);
    const reply = server.call({ op: "wait", count: result.sent, stallMs: STALL_MS });
    reply.catch(() => undefined); // awaited below unless pump throws
    const cpu0 = process.cpuUsage();
    const t0 = epochMs();
    await pump(sockets, frames);
    const cpu = process.cpuUsage(cpu0);
    result.clientCpuMs += (cpu.user + cpu.system) / 1000;
    const done = await reply;
    result.elapsedMs += done.at - t0;
    result.handled = done.handled;
    result.reached = done.reached;
    result.serverCpuMs = done.cpuMicros / 1000;
  }
  return result;
}

/** The control plane: register, seed, connect, idle, send flat out, then paced; keeps the timed frames for the baseline. */
async function measureOurs(n: number, envelopes: number, plan: Plan, env: NodeJS.ProcessEnv) {
  const server = await ServerProcess.start("ours", env);
  const inbound = new Inbound();
  let sockets: WebSocket[] = [];
  try {
    const baseUrl = `http://127.0.0.1:${server.ready.port}`;
    console.log(
      `· ours: server up on ${baseUrl} (${server.ready.database}); registering ${fmtInt(n)} workers`,
    );
    const t = performance.now();
    const workers = await registerWorkers(baseUrl, server.ready.secret ?? "", n);
    const workerIds = workers.map((w) => w.id);
    const { appIds } = await server.call({ op: "seed", workerIds, appsPerWorker: APPS_PER_WORKER });
    const setup = `registered and seeded in ${fmtNum((performance.now() - t) / 1000)} s`;
    const conns: OursSocket[] = [];
    const connected = await connectMeasured(server, n, async (from, to) => {
      conns.push(...(await connectOurs(baseUrl, workers.slice(from, to), inbound)));
      sockets = conns.map((c) => c.ws);
    });
    console.log(`· ours: ${setup}; ${fmtInt(n)} sockets connected in ${fmtNum(connected.seconds)} s`);

    const segments: string[][][] = [];
    const phase = await runMessages(server, sockets, plan, (_s, from, to) => {
      const frames = signSegment(plan, conns, appIds, from, to);
      segments.push(frames);
      return frames;
    });
    const saturated = await server.call({ op: "report" });

    const ratePerSec = Math.max(1, Math.round(rate(phase) * PACED_LOAD));
    const pacedPlan = makePlan(n, Math.max(n, Math.min(envelopes, ratePerSec * PACED_MAX_S)), Infinity);
    console.log(
      `· ours: ${fmtInt(rate(phase))} envelopes/s flat out; now ${fmtInt(ratePerSec)}/s for latency`,
    );
    const pacedFrames = signSegment(pacedPlan, conns, appIds, 0, pacedPlan.rounds);
    await server.call({ op: "reset" });
    const pacedTotal = pacedFrames.reduce((k, f) => k + f.length, 0);
    const pacedDone = server.call({ op: "wait", count: pacedTotal, stallMs: STALL_MS });
    pacedDone.catch(() => undefined); // awaited below unless pace throws
    await pace(sockets, pacedFrames, ratePerSec);
    await pacedDone;
    const paced = { ...(await server.call({ op: "report" })), ratePerSec };

    await sleep(500);
    const memory: Memory = { ...connected.memory, after: await server.call({ op: "memory" }) };
    const errors = inbound.total === 0 ? "none" : `${inbound.total} (${inbound.describe()})`;
    return { ours: { phase, saturated, paced, memory, errors }, segments };
  } catch (err) {
    if (inbound.total > 0) console.error(`bench: the server sent or closed: ${inbound.describe()}`);
    const logged = await server.call({ op: "report" }).then(
      (r) => r.logged,
      () => ({}),
    );
    for (const [msg, k] of Object.entries(logged)) console.error(`bench: server logged ${k} × "${msg}"`);
    throw err;
  } finally {
    for (const ws of sockets) ws.terminate();
    await server.stop();
  }
}

/** The baseline: the same frames over the same number of sockets to a server that only parses JSON. */
async function measureBare(
  n: number,
  plan: Plan,
  segments: readonly string[][][],
): Promise<HubFigures["bare"]> {
  const server = await ServerProcess.start("bare", process.env);
  const sockets: WebSocket[] = [];
  try {
    const connected = await connectMeasured(server, n, async (from, to) => {
      sockets.push(...(await connectBare(server.ready.port, to - from)));
    });
    console.log(`· bare: ${fmtInt(n)} sockets connected; sending the same frames`);
    const phase = await runMessages(server, sockets, plan, (s) => segments[s] ?? []);
    const memory: Memory = { ...connected.memory, after: await server.call({ op: "memory" }) };
    return { phase, memory };
  } finally {
    for (const ws of sockets) ws.terminate();
    await server.stop();
  }
}

export async function runHub(flags: Map<string, string>): Promise<void> {
  checkFlags(flags, ["workers", "envelopes", "database-url"]);
  const n = intFlag(flags, "workers", 2000);
  const envelopes = intFlag(flags, "envelopes", 200_000);
  const databaseUrl = flags.get("database-url") || process.env.DATABASE_URL || "";
  const plan = makePlan(n, envelopes, SEGMENT_ENVELOPES);
  const engine = databaseUrl ? "postgres (a scratch database, dropped after)" : "pglite (in memory)";
  console.log(`hub: workers=${n} envelopes=${envelopes} db=${engine}`);
  console.log(
    `     machine: ${os.availableParallelism()} CPUs, load average ${fmtNum(os.loadavg()[0] ?? 0)}`,
  );
  console.log(
    `     per worker 1 heartbeat : 3 app_stats of ${APPS_PER_WORKER} apps; frames signed before timing`,
  );

  const { ours, segments } = await measureOurs(n, envelopes, plan, {
    ...process.env,
    BENCH_DATABASE_URL: databaseUrl,
  });
  const bare = await measureBare(n, plan, segments);
  let frames = 0;
  let bytes = 0;
  for (const f of segments.flat(2)) [frames, bytes] = [frames + 1, bytes + f.length];
  printHubReport({
    workers: n,
    appsPerWorker: APPS_PER_WORKER,
    frames,
    avgFrameBytes: bytes / Math.max(1, frames),
    ours,
    bare,
  });
}
