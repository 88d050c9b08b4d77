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

/** One round: a flat-out run on ours, then the same frames on bare, seconds apart. */
export interface Round {
  ours: PhaseResult;
  /** Ours' receipt-to-handled latency over that run. */
  saturated: Report;
  bare: PhaseResult;
}

export interface HubFigures {
  workers: number;
  appsPerWorker: number;
  frames: number;
  avgFrameBytes: number;
  rounds: Round[];
  ours: {
    paced: Report & { ratePerSec: number };
    memory: Memory;
    /** Frames the server sent back during the run, described, or "none". */
    errors: string;
  };
  bare: { memory: Memory };
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

function ratio(r: Round): number {
  const bareRate = rate(r.bare);
  return bareRate > 0 ? rate(r.ours) / bareRate : 0;
}

/** bare/ours server CPU per envelope: the ratio by cost, whatever the clients sharing the machine did. */
function cpuRatio(r: Round): number {
  return cpuPerEnvelope(r.bare) / cpuPerEnvelope(r.ours);
}

/** The round with the median ratio (the lower middle one for an even count). */
export function medianRound(rounds: readonly Round[]): Round {
  const sorted = [...rounds].sort((a, b) => ratio(a) - ratio(b));
  const round = sorted[Math.floor((sorted.length - 1) / 2)];
  if (!round) throw new Error("no rounds");
  return round;
}

export function printRound(k: number, r: Round): void {
  console.log(
    `· round ${k}: ours ${fmtInt(rate(r.ours))}/s (${fmtNum(cpuPerEnvelope(r.ours))} µs CPU/envelope), ` +
      `bare ${fmtInt(rate(r.bare))}/s (${fmtNum(cpuPerEnvelope(r.bare))} µs), ratio ${fmtNum(ratio(r))}` +
      incomplete(r.ours) +
      incomplete(r.bare),
  );
}

export function printHubReport(f: HubFigures): void {
  const { ours, bare, workers: n, rounds } = f;
  const mid = medianRound(rounds);
  const ratios = rounds.map(ratio);
  const lines = [
    "",
    `frames: ${fmtInt(f.frames)} timed per round, ${fmtInt(f.avgFrameBytes)} B on average; ${rounds.length} rounds, figures of the median round`,
    `ours: ${fmtInt(rate(mid.ours))} envelopes/s  ${cpu(mid.ours)}${incomplete(mid.ours)}`,
    `      receipt to handled at saturation: ${latency(mid.saturated)}`,
    `      at ${fmtInt(ours.paced.ratePerSec)} envelopes/s offered (${fmtInt(ours.paced.handled)} envelopes): ${latency(ours.paced)}`,
    `      ${memory(ours.memory)}`,
    `      handled ${fmtInt(mid.saturated.handled)}/${fmtInt(mid.ours.sent)}, errors from the server: ${ours.errors}, ` +
      `apps with live stats ${fmtInt(ours.paced.liveApps ?? 0)}/${fmtInt(n * f.appsPerWorker)}`,
    `      server warnings/errors logged: ${logged(ours.paced)}`,
    `bare ws + JSON.parse: ${fmtInt(rate(mid.bare))} envelopes/s  ${cpu(mid.bare)}${incomplete(mid.bare)}`,
    `      ${memory(bare.memory)}`,
    `ratio ours/bare: ${fmtNum(ratio(mid))} (goal >= ${GOAL_RATIO}); every round: ${ratios.map(fmtNum).join(", ")}`,
    `      by server CPU per envelope (bare/ours): ${fmtNum(cpuRatio(mid))}; every round: ${rounds.map((r) => fmtNum(cpuRatio(r))).join(", ")}`,
    `RSS per idle connection: ${fmtKb(idleRssPerConnection(ours.memory))} (goal <= ${fmtKb(GOAL_BYTES_PER_CONN)})`,
  ];
  console.log(lines.join("\n"));
}
