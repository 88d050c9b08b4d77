import type { MemorySample, Report } from "./hub-ipc.js";
import { fmtInt, fmtKb, fmtMb, fmtNum } from "./util.js";

/** The figures of `npm run bench -- hub` and how they are printed. */

export const GOAL_RATIO = 0.5;
export const GOAL_BYTES_PER_CONN = 20 * 1024;

export interface PhaseResult {
  sent: number;
  handled: number;
  /** False when the server stopped making progress before handling everything sent. */
  reached: boolean;
  /** From the first frame written to the last one handled, summed over segments. */
  elapsedMs: number;
  serverCpuMs: number;
  clientCpuMs: number;
}

/** The server's memory with `half` and then all `n` workers connected and idle, and after the traffic. */
export interface Memory {
  half: number;
  n: number;
  atHalf: MemorySample;
  idle: MemorySample;
  after: MemorySample;
}

export interface HubFigures {
  workers: number;
  appsPerWorker: number;
  frames: number;
  avgFrameBytes: number;
  ours: {
    phase: PhaseResult;
    saturated: Report;
    paced: Report & { ratePerSec: number };
    memory: Memory;
    /** Frames the server sent back during the run, described, or "none". */
    errors: string;
  };
  bare: { phase: PhaseResult; memory: Memory };
}

export function rate(p: PhaseResult): number {
  return p.elapsedMs > 0 ? (p.handled / p.elapsedMs) * 1000 : 0;
}

/** Server CPU time per handled envelope in µs: a cost that does not depend on the clients sharing the machine. */
function cpuPerEnvelope(p: PhaseResult): number {
  return p.handled > 0 ? (p.serverCpuMs * 1000) / p.handled : Number.NaN;
}

function cpu(p: PhaseResult): string {
  const pct = (ms: number): string => `${fmtNum((ms / p.elapsedMs) * 100)}%`;
  return `server CPU ${pct(p.serverCpuMs)} (${fmtNum(cpuPerEnvelope(p))} µs/envelope), clients CPU ${pct(p.clientCpuMs)}`;
}

export function idleRssPerConnection(m: Memory): number {
  return (m.idle.rss - m.atHalf.rss) / Math.max(1, m.n - m.half);
}

function memory(m: Memory): string {
  const slope = (key: keyof MemorySample): string =>
    fmtKb((m.idle[key] - m.atHalf[key]) / Math.max(1, m.n - m.half));
  const traffic = (key: keyof MemorySample): string => fmtKb((m.after[key] - m.idle[key]) / m.n);
  return (
    `server RSS ${slope("rss")} per idle connection (JS heap+external ${slope("heap")}; ` +
    `${fmtMb(m.idle.rss)} with ${fmtInt(m.n)} connected), ` +
    `${traffic("rss")} more per connection after traffic (heap ${traffic("heap")})` +
    (m.n - m.half < 1000 ? " [under 1000 connections in the slope: RSS is approximate]" : "")
  );
}

function latency(r: Report): string {
  const ms = (v: number | null): string => (v === null ? "n/a" : `${fmtNum(v)} ms`);
  return `p50 ${ms(r.p50Ms)}  p99 ${ms(r.p99Ms)}`;
}

function incomplete(p: PhaseResult): string {
  return p.reached ? "" : `  INCOMPLETE: the server stalled at ${fmtInt(p.handled)}/${fmtInt(p.sent)}`;
}

function logged(r: Report): string {
  const entries = Object.entries(r.logged);
  if (entries.length === 0) return "none";
  return entries.map(([msg, k]) => `${fmtInt(k)} × "${msg}"`).join("; ");
}

export function printHubReport(f: HubFigures): void {
  const { ours, bare, workers: n } = f;
  const oursRate = rate(ours.phase);
  const bareRate = rate(bare.phase);
  const lines = [
    "",
    `frames: ${fmtInt(f.frames)} timed, ${fmtInt(f.avgFrameBytes)} B on average`,
    `ours: ${fmtInt(oursRate)} envelopes/s  ${cpu(ours.phase)}${incomplete(ours.phase)}`,
    `      receipt to handled at saturation: ${latency(ours.saturated)}`,
    `      at ${fmtInt(ours.paced.ratePerSec)} envelopes/s offered (${fmtInt(ours.paced.handled)} envelopes): ${latency(ours.paced)}`,
    `      ${memory(ours.memory)}`,
    `      handled ${fmtInt(ours.saturated.handled)}/${fmtInt(ours.phase.sent)}, errors from the server: ${ours.errors}, ` +
      `apps with live stats ${fmtInt(ours.paced.liveApps ?? 0)}/${fmtInt(n * f.appsPerWorker)}`,
    `      server warnings/errors logged: ${logged(ours.paced)}`,
    `bare ws + JSON.parse: ${fmtInt(bareRate)} envelopes/s  ${cpu(bare.phase)}${incomplete(bare.phase)}`,
    `      ${memory(bare.memory)}`,
    `ratio ours/bare: ${fmtNum(bareRate > 0 ? oursRate / bareRate : 0)} (goal >= ${GOAL_RATIO})`,
    `      by server CPU per envelope (bare/ours): ${fmtNum(cpuPerEnvelope(bare.phase) / cpuPerEnvelope(ours.phase))}`,
    `RSS per idle connection: ${fmtKb(idleRssPerConnection(ours.memory))} (goal <= ${fmtKb(GOAL_BYTES_PER_CONN)})`,
  ];
  console.log(lines.join("\n"));
}
