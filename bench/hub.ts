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
import {
  medianRound,
  printHubReport,
  printRound,
  rate,
  type HubFigures,
  type Memory,
  type PhaseResult,
  type Round,
} from "./hub-report.js";
import { epochMs, fmtInt, fmtNum, sleep } from "./util.js";

/**
 * `npm run bench -- hub [--workers N] [--envelopes N] [--rounds N] [--database-url URL]`
 *
 * N simulated workers on loopback send heartbeats and app_stats (10 apps
 * each) to the real control plane, in the 1:3 mix of their 30 s / 10 s
 * periods, compressed in time: as fast as the hub takes them, for a fixed
 * number of envelopes. The same frames, over the same number of sockets,
 * then go to a bare `ws` server that only JSON.parses them. Each server runs
 * in its own process (hub-server.ts), so its RSS and CPU are its own.
 *
 * The machine is shared and noisy, and a run's speed drifts by ±15 % from
 * minute to minute. So both servers stay up side by side and the two
 * measurements alternate, ours then bare, for `--rounds` rounds (default 3):
 * each ratio compares runs seconds apart, and the headline is the median
 * round.
 *
 * At saturation, receipt-to-handled time is mostly queueing, so latency is
 * also measured at half the measured throughput. Goals (ratio ≥ 0.5, ≤ 20 KB
 * per idle connection) are reported, not enforced.
 */

export const HUB_USAGE =
  "hub [--workers 2000] [--envelopes 200000] [--rounds 3] [--database-url postgres://...]";

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

/** The control plane, up with every worker registered, seeded and connected. */
interface Ours {
  server: ServerProcess;
  conns: OursSocket[];
  sockets: WebSocket[];
  appIds: number[][];
  memory: Omit<Memory, "after">;
}

/**
 * Registers, seeds and connects. `conns` and `inbound` are the caller's, so
 * sockets opened before a failure still get closed and what the server sent
 * can still be shown.
 */
async function setUpOurs(
  server: ServerProcess,
  n: number,
  conns: OursSocket[],
  inbound: Inbound,
): Promise<Ours> {
  const baseUrl = `http://127.0.0.1:${server.ready.port}`;
  console.log(`· ours: server up on ${baseUrl} (${server.ready.database}); registering ${fmtInt(n)} workers`);
  const t = performance.now();
  const workers = await registerWorkers(baseUrl, server.ready.secret ?? "", n);
  const { appIds } = await server.call({
    op: "seed",
    workerIds: workers.map((w) => w.id),
    appsPerWorker: APPS_PER_WORKER,
  });
  const setup = `registered and seeded in ${fmtNum((performance.now() - t) / 1000)} s`;
  const connected = await connectMeasured(server, n, async (from, to) => {
    conns.push(...(await connectOurs(baseUrl, workers.slice(from, to), inbound)));
  });
  console.log(`· ours: ${setup}; ${fmtInt(n)} sockets connected in ${fmtNum(connected.seconds)} s`);
  return { server, conns, sockets: conns.map((c) => c.ws), appIds, memory: connected.memory };
}

/** One flat-out run on ours, keeping the frames (signed per segment, just before sending) for bare. */
async function flatOutOurs(ours: Ours, plan: Plan): Promise<{ phase: PhaseResult; segments: string[][][] }> {
  const segments: string[][][] = [];
  const phase = await runMessages(ours.server, ours.sockets, plan, (_s, from, to) => {
    const frames = signSegment(plan, ours.conns, ours.appIds, from, to);
    segments.push(frames);
    return frames;
  });
  return { phase, segments };
}

/** Receipt-to-handled latency at PACED_LOAD of the measured throughput. */
async function pacedOurs(ours: Ours, n: number, envelopes: number, measuredRate: number) {
  const ratePerSec = Math.max(1, Math.round(measuredRate * PACED_LOAD));
  const pacedPlan = makePlan(n, Math.max(n, Math.min(envelopes, ratePerSec * PACED_MAX_S)), Infinity);
  console.log(`· ours: now ${fmtInt(ratePerSec)} envelopes/s for latency`);
  const pacedFrames = signSegment(pacedPlan, ours.conns, ours.appIds, 0, pacedPlan.rounds);
  await ours.server.call({ op: "reset" });
  const pacedTotal = pacedFrames.reduce((k, f) => k + f.length, 0);
  const pacedDone = ours.server.call({ op: "wait", count: pacedTotal, stallMs: STALL_MS });
  pacedDone.catch(() => undefined); // awaited below unless pace throws
  await pace(ours.sockets, pacedFrames, ratePerSec);
  await pacedDone;
  return { ...(await ours.server.call({ op: "report" })), ratePerSec };
}

/** On failure: what the control plane sent or logged, which usually says why. */
async function explainFailure(inbound: Inbound, server: ServerProcess | undefined): Promise<void> {
  if (inbound.total > 0) console.error(`bench: the server sent or closed: ${inbound.describe()}`);
  if (!server) return;
  const logged = await server.call({ op: "report" }).then(
    (r) => r.logged,
    () => ({}),
  );
  for (const [msg, k] of Object.entries(logged)) console.error(`bench: server logged ${k} × "${msg}"`);
}

export async function runHub(flags: Map<string, string>): Promise<void> {
  checkFlags(flags, ["workers", "envelopes", "rounds", "database-url"]);
  const n = intFlag(flags, "workers", 2000);
  const envelopes = intFlag(flags, "envelopes", 200_000);
  const roundCount = intFlag(flags, "rounds", 3);
  const databaseUrl = flags.get("database-url") || process.env.DATABASE_URL || "";
  const plan = makePlan(n, envelopes, SEGMENT_ENVELOPES);
  const engine = databaseUrl ? "postgres (a scratch database, dropped after)" : "pglite (in memory)";
  console.log(`hub: workers=${n} envelopes=${envelopes} rounds=${roundCount} db=${engine}`);
  console.log(
    `     machine: ${os.availableParallelism()} CPUs, load average ${fmtNum(os.loadavg()[0] ?? 0)}`,
  );
  console.log(
    `     per worker 1 heartbeat : 3 app_stats of ${APPS_PER_WORKER} apps; frames signed before timing`,
  );

  let oursServer: ServerProcess | undefined;
  let bareServer: ServerProcess | undefined;
  const oursConns: OursSocket[] = [];
  const inbound = new Inbound();
  const bareSockets: WebSocket[] = [];
  try {
    oursServer = await ServerProcess.start("ours", { ...process.env, BENCH_DATABASE_URL: databaseUrl });
    const ours = await setUpOurs(oursServer, n, oursConns, inbound);
    bareServer = await ServerProcess.start("bare", process.env);
    const bare = bareServer;
    const bareConnected = await connectMeasured(bare, n, async (from, to) => {
      bareSockets.push(...(await connectBare(bare.ready.port, to - from)));
    });
    console.log(`· bare: ${fmtInt(n)} sockets connected; rounds of ours then bare with the same frames`);

    const rounds: Round[] = [];
    let frames = 0;
    let bytes = 0;
    for (let r = 1; r <= roundCount; r++) {
      const { phase, segments } = await flatOutOurs(ours, plan);
      const saturated = await oursServer.call({ op: "report" });
      const barePhase = await runMessages(bare, bareSockets, plan, (s) => segments[s] ?? []);
      await bare.call({ op: "report" }); // ends the bare server's phase (and its profile); its figures are not used
      const round: Round = { ours: phase, saturated, bare: barePhase };
      rounds.push(round);
      printRound(r, round);
      if (r === 1) for (const f of segments.flat(2)) [frames, bytes] = [frames + 1, bytes + f.length];
    }

    // Latency at PACED_LOAD of the headline (median) round's rate.
    const paced = await pacedOurs(ours, n, envelopes, rate(medianRound(rounds).ours));
    await sleep(500);
    const figures: HubFigures = {
      workers: n,
      appsPerWorker: APPS_PER_WORKER,
      frames,
      avgFrameBytes: bytes / Math.max(1, frames),
      rounds,
      ours: {
        paced,
        memory: { ...ours.memory, after: await oursServer.call({ op: "memory" }) },
        errors: inbound.total === 0 ? "none" : `${inbound.total} (${inbound.describe()})`,
      },
      bare: { memory: { ...bareConnected.memory, after: await bare.call({ op: "memory" }) } },
    };
    printHubReport(figures);
  } catch (err) {
    await explainFailure(inbound, oursServer);
    throw err;
  } finally {
    for (const ws of [...oursConns.map((c) => c.ws), ...bareSockets]) ws.terminate();
    await Promise.all([oursServer?.stop(), bareServer?.stop()]);
  }
}
