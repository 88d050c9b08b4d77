import type { LogEvent } from "../../api/obs-types";
import { neutraliseControls } from "./log-text";

/**
 * The Logs tab's memory of the stream: the newest lines up to a cap, and how
 * many older ones were dropped to keep it there. Immutable: each append
 * returns a new buffer, so a paused view can keep showing the one it froze.
 */

/** Lines kept in the browser; older ones are dropped (and counted). */
export const LOG_BUFFER_CAP = 5000;

export interface LogEntry {
  /** Position in the stream since (re)connecting, from 0: a stable React key. */
  id: number;
  ts: string;
  stream: "stdout" | "stderr";
  /** The line with its control characters neutralised (neutraliseControls). */
  text: string;
}

export interface LogBuffer {
  lines: readonly LogEntry[];
  /** Lines received since (re)connecting, kept or dropped. */
  received: number;
  /** Older lines dropped to stay within the cap. */
  dropped: number;
}

export const EMPTY_LOG_BUFFER: LogBuffer = { lines: [], received: 0, dropped: 0 };

/** One `log` event as an entry (id assigned by appendLogLines); null when it is not a log event. */
export function toLogEntry(data: unknown): Omit<LogEntry, "id"> | null {
  if (typeof data !== "object" || data === null) return null;
  const e = data as Partial<LogEvent>;
  if (typeof e.line !== "string") return null;
  return {
    ts: typeof e.ts === "string" ? e.ts : "",
    stream: e.stream === "stderr" ? "stderr" : "stdout",
    text: neutraliseControls(e.line),
  };
}

/** `buf` with `incoming` appended, the oldest lines dropped past `cap`. */
export function appendLogLines(
  buf: LogBuffer,
  incoming: readonly Omit<LogEntry, "id">[],
  cap = LOG_BUFFER_CAP,
): LogBuffer {
  if (incoming.length === 0) return buf;
  const added = incoming.map((e, i) => ({ ...e, id: buf.received + i }));
  const all = buf.lines.length + added.length;
  const excess = Math.max(0, all - cap);
  const lines =
    excess === 0
      ? [...buf.lines, ...added]
      : [
          ...buf.lines.slice(Math.min(excess, buf.lines.length)),
          ...added.slice(Math.max(0, excess - buf.lines.length)),
        ];
  return { lines, received: buf.received + incoming.length, dropped: buf.dropped + excess };
}

/** The lines whose text contains `query`, ignoring case; all of them for a blank query. */
export function filterLogLines(lines: readonly LogEntry[], query: string): readonly LogEntry[] {
  const q = query.trim().toLocaleLowerCase();
  if (q === "") return lines;
  return lines.filter((l) => l.text.toLocaleLowerCase().includes(q));
}

/** Lines that arrived after `frozen` was taken (what Resume will show). */
export function linesSince(frozen: LogBuffer, now: LogBuffer): number {
  return now.received - frozen.received;
}
