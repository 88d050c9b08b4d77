import type { ContainerEvent, ContainerInfo, ContainerState, LogLineOut } from "./runtime.js";

/**
 * Defensive parsers for podman's JSON output. Podman's field names and types
 * drift between versions (4.3 here; 5.x in newer distributions), so every
 * reader accepts a missing or oddly typed field and falls back to a neutral
 * value instead of throwing; only output that is not JSON at all is an error.
 */

type Json = Record<string, unknown>;

function obj(v: unknown): Json {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {};
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

/** A finite number from a number or numeric string; 0 otherwise. */
export function num(v: unknown): number {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
  return Number.isFinite(n) ? n : 0;
}

function labelsOf(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(obj(v))) if (typeof val === "string") out[k] = val;
  return out;
}

/** A time from podman (RFC 3339 with nanoseconds); null for Go's zero time, empty or unparsable input. */
export function parseTime(v: unknown): Date | null {
  const s = str(v);
  if (s === "" || s.startsWith("0001-01-01")) return null;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? null : new Date(ms);
}

const STATES: Record<string, ContainerState> = {
  configured: "created",
  created: "created",
  initialized: "created",
  running: "running",
  stopping: "running",
  paused: "paused",
  exited: "exited",
  stopped: "stopped",
};

/** Parses JSON (an array, a single object, or one object per line) into a list of objects. */
export function parseJsonList(text: string): Json[] {
  const trimmed = text.trim();
  if (trimmed === "" || trimmed === "null") return [];
  try {
    const v: unknown = JSON.parse(trimmed);
    return Array.isArray(v) ? v.map(obj) : [obj(v)];
  } catch {
    return trimmed
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => obj(JSON.parse(l)));
  }
}

/** One element of `podman container inspect --format json`. */
export function parseInspect(raw: unknown): ContainerInfo {
  const c = obj(raw);
  const state = obj(c.State);
  const config = obj(c.Config);
  const status = str(state.Status).toLowerCase();
  return {
    id: str(c.Id),
    name: str(c.Name).replace(/^\//, ""),
    image: str(c.ImageName) || str(config.Image) || str(c.Image),
    state: STATES[status] ?? "unknown",
    labels: labelsOf(config.Labels),
    exitCode: STATES[status] === "exited" || STATES[status] === "stopped" ? num(state.ExitCode) : null,
    oomKilled: state.OOMKilled === true,
    restartCount: num(c.RestartCount),
    startedAt: parseTime(state.StartedAt),
    finishedAt: parseTime(state.FinishedAt),
  };
}

/** Raw counters of one `podman stats --format '{{json .ContainerStats}}'` line. */
export interface RawStats {
  id: string;
  /** Podman's own CPU percent (over the container's life in a one-shot sample). */
  cpuPct: number;
  cpuNanos: number;
  memBytes: number;
  memLimitBytes: number;
  netTotalBytes: number;
  blockTotalBytes: number;
}

/**
 * Podman 4 gives `NetInput`/`NetOutput` totals; Podman 5 may instead give
 * `Network: {eth0: {RxBytes, TxBytes, ...}, ...}` per interface, summed here.
 */
export function parseStatsLine(raw: unknown): RawStats {
  const s = obj(raw);
  let net = num(s.NetInput) + num(s.NetOutput);
  if (net === 0 && s.Network !== undefined) {
    for (const iface of Object.values(obj(s.Network))) {
      const i = obj(iface);
      net += num(i.RxBytes) + num(i.TxBytes);
    }
  }
  return {
    id: str(s.ContainerID) || str(s.ContainerId) || str(s.ID),
    cpuPct: num(s.CPU),
    cpuNanos: num(s.CPUNano),
    memBytes: num(s.MemUsage),
    memLimitBytes: num(s.MemLimit),
    netTotalBytes: net,
    blockTotalBytes: num(s.BlockInput) + num(s.BlockOutput),
  };
}

const EVENT_KINDS: Record<string, ContainerEvent["kind"]> = {
  start: "start",
  died: "died",
  oom: "oom",
  remove: "remove",
};

/** One line of `podman events --format json`; undefined for kinds the agent does not use. */
export function parseEventLine(line: string): ContainerEvent | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return undefined;
  }
  const e = obj(raw);
  const kind = EVENT_KINDS[str(e.Status).toLowerCase()];
  const id = str(e.ID) || str(e.Id);
  if (kind === undefined || id === "") return undefined;
  const at = parseTime(e.Time) ?? (typeof e.time === "number" ? new Date(e.time * 1000) : new Date());
  const exit = e.ContainerExitCode;
  return {
    id,
    kind,
    labels: labelsOf(e.Attributes),
    exitCode: kind === "died" && exit !== undefined ? num(exit) : null,
    at,
  };
}

const TS_PREFIX = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) ?(.*)$/s;

/**
 * One line of `podman logs --timestamps`: `<RFC 3339 time> <text>`. Undefined
 * when the prefix is missing (podman's own error messages on stderr).
 */
export function parseLogLine(line: string, stream: LogLineOut["stream"]): LogLineOut | undefined {
  const m = TS_PREFIX.exec(line);
  if (!m) return undefined;
  const ts = Date.parse(m[1]!);
  if (Number.isNaN(ts)) return undefined;
  return { stream, ts, line: m[2] ?? "" };
}
