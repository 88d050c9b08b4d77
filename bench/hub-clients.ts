import WebSocket from "ws";
import { openWorkerSocket, rawToText, type WorkerCodec } from "../src/agent/sim/handshake.js";
import { registerWorker } from "../src/agent/sim/http-client.js";
import { generateApiKey } from "../src/crypto/api-key.js";
import type { AppStatsEntry, HeartbeatPayload } from "../src/protocol/messages-worker.js";
import { mapLimit } from "./util.js";

/**
 * The client half of the hub benchmark: N workers registered over HTTP, their
 * sockets opened with the agent's real handshake, frames signed with each
 * connection's codec before the clock starts, and a pump that writes them
 * as fast as the server reads them.
 */

/** Connections opened (or workers registered) at once during set-up. */
const SETUP_CONCURRENCY = 50;
/** Set-up is not measured: on a busy machine, let each request take its time. */
const SETUP_TIMEOUT_MS = 60_000;
/** A socket with more than this many bytes not yet handed to the kernel gets no frame this wave. */
const HIGH_WATER_BYTES = 16 * 1024;
/** One heartbeat per this many envelopes, the rest app_stats: 30 s beats against 10 s stats. */
const MIX_PERIOD = 4;

export interface RegisteredWorker {
  id: number;
  token: string;
  apiKey: string;
}

export interface OursSocket {
  ws: WebSocket;
  codec: WorkerCodec;
}

/** Frames the server sent back (any is an error here) by type or code, and sockets it closed, by close code. */
export class Inbound {
  readonly counts = new Map<string, number>();
  total = 0;

  add(key: string): void {
    this.total++;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  describe(): string {
    return [...this.counts].map(([k, n]) => `${k} ${n}`).join(", ");
  }
}

export function registerWorkers(baseUrl: string, secret: string, n: number): Promise<RegisteredWorker[]> {
  return mapLimit(
    Array.from({ length: n }, (_, i) => i),
    SETUP_CONCURRENCY,
    async (i) => {
      const apiKey = generateApiKey();
      const res = await registerWorker({
        baseUrl,
        bearer: secret,
        timeoutMs: SETUP_TIMEOUT_MS,
        request: { name: `bench-${i + 1}`, api_key: apiKey, cpu_millicores: 8000, memory_mb: 16_384 },
      });
      return { id: res.worker.id, token: res.token, apiKey };
    },
  );
}

/** Opens one agent socket per worker; every verified frame from the server is tallied in `inbound`. */
export function connectOurs(
  baseUrl: string,
  workers: readonly RegisteredWorker[],
  inbound: Inbound,
): Promise<OursSocket[]> {
  return mapLimit(workers, SETUP_CONCURRENCY, (w) =>
    openWorkerSocket(
      { baseUrl, token: w.token, apiKey: w.apiKey, timeoutMs: SETUP_TIMEOUT_MS },
      (ws, codec) => {
        ws.on("message", (data) => {
          const msg = codec.decode(rawToText(data));
          inbound.add(
            !msg.ok ? `undecodable ${msg.code}` : msg.type === "error" ? msg.payload.code : msg.type,
          );
        });
        ws.on("error", () => undefined);
        ws.on("close", (code, reason) => inbound.add(`closed ${code} ${reason.toString("utf8")}`.trim()));
        return { ws, codec };
      },
    ),
  );
}

/** Opens `n` plain sockets to the bare server. */
export function connectBare(port: number, n: number): Promise<WebSocket[]> {
  return mapLimit(Array.from({ length: n }), SETUP_CONCURRENCY, async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { handshakeTimeout: SETUP_TIMEOUT_MS });
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    ws.on("error", () => undefined);
    return ws;
  });
}

/**
 * What each worker sends: worker i sends `perWorker[i]` envelopes, its k-th
 * (k from 0) a heartbeat when k % 4 == 0 and an app_stats for its apps
 * otherwise. The run is cut into segments of whole rounds (one envelope per
 * worker), each signed just before it is sent, so no frame is older than
 * one segment when it arrives (the server rejects a ts more than 60 s off).
 */
export interface Plan {
  perWorker: number[];
  roundsPerSegment: number;
  rounds: number;
}

export function makePlan(workers: number, envelopes: number, segmentEnvelopes: number): Plan {
  const base = Math.floor(envelopes / workers);
  const extra = envelopes % workers;
  const perWorker = Array.from({ length: workers }, (_, i) => base + (i < extra ? 1 : 0));
  return {
    perWorker,
    roundsPerSegment: Math.max(1, Math.floor(segmentEnvelopes / workers)),
    rounds: base + (extra > 0 ? 1 : 0),
  };
}

/** Signs rounds [from, to) of the plan: frames[i] is worker i's frames in seq order. */
export function signSegment(
  plan: Plan,
  sockets: readonly OursSocket[],
  appIds: readonly number[][],
  from: number,
  to: number,
): string[][] {
  return sockets.map(({ codec }, i) => {
    const frames: string[] = [];
    const apps = appIds[i] ?? [];
    for (let k = from; k < Math.min(to, plan.perWorker[i] ?? 0); k++) {
      frames.push(
        k % MIX_PERIOD === 0
          ? codec.encode("heartbeat", heartbeat(apps.length, k))
          : codec.encode("app_stats", { apps: apps.map((id) => appStat(id, k)) }),
      );
    }
    return frames;
  });
}

function heartbeat(runningApps: number, k: number): HeartbeatPayload {
  return {
    cpu_pct: 20 + (k % 50),
    mem_used_mb: 6_000,
    mem_total_mb: 16_384,
    disk_used_mb: 40_000,
    disk_total_mb: 200_000,
    running_apps: runningApps,
    agent_version: "bench",
    uptime_s: 3600 + k * 30,
  };
}

function appStat(appId: number, k: number): AppStatsEntry {
  return {
    app_id: appId,
    cpu_pct: (appId + k) % 100,
    mem_bytes: 50_000_000 + k,
    mem_limit_bytes: 67_108_864,
    net_mbps: 0.5,
    net_total_bytes: 1_000_000 + k * 1000,
    disk_mbps: 0.1,
  };
}

/**
 * Writes every frame, in order per socket, one frame per socket per wave,
 * skipping sockets whose unsent bytes exceed HIGH_WATER_BYTES; between waves
 * it yields to the event loop (or sleeps 1 ms when every socket was full).
 */
export async function pump(sockets: readonly WebSocket[], frames: readonly string[][]): Promise<void> {
  const next = new Array<number>(sockets.length).fill(0);
  let left = frames.reduce((n, f) => n + f.length, 0);
  while (left > 0) {
    let sent = 0;
    for (let i = 0; i < sockets.length; i++) {
      const list = frames[i] ?? [];
      const k = next[i] ?? 0;
      const ws = sockets[i];
      if (!ws || k >= list.length || ws.bufferedAmount > HIGH_WATER_BYTES) continue;
      if (ws.readyState !== WebSocket.OPEN) throw new Error("a client socket closed during the run");
      ws.send(list[k] as string);
      next[i] = k + 1;
      sent++;
    }
    left -= sent;
    await new Promise((resolve) => (sent > 0 ? setImmediate(resolve) : setTimeout(resolve, 1)));
  }
}

/**
 * Writes the frames at `ratePerSec` in total, round-robin over the sockets
 * (worker 0..N-1, then again), in small bursts every few milliseconds, so
 * the server sees a steady offered load below its capacity.
 */
export async function pace(
  sockets: readonly WebSocket[],
  frames: readonly string[][],
  ratePerSec: number,
): Promise<void> {
  const order: { ws: WebSocket; frame: string }[] = [];
  const rounds = Math.max(0, ...frames.map((f) => f.length));
  for (let r = 0; r < rounds; r++) {
    frames.forEach((list, i) => {
      const frame = list[r];
      const ws = sockets[i];
      if (frame !== undefined && ws) order.push({ ws, frame });
    });
  }
  const t0 = performance.now();
  let sent = 0;
  while (sent < order.length) {
    const due = Math.min(order.length, Math.floor(((performance.now() - t0) * ratePerSec) / 1000));
    for (; sent < due; sent++) {
      const next = order[sent];
      if (next?.ws.readyState !== WebSocket.OPEN) throw new Error("a client socket closed during the run");
      next.ws.send(next.frame);
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
