import { stripANSI } from "../../api/log-sanitize.js";
import { seg } from "../api-client.js";
import { authedApi, intOption, parseCommand, positionals, type CliIO } from "../context.js";
import { eventJson, readEvents } from "../sse-client.js";

export const LOGS_USAGE = `usage: wisehosting logs APP [-f|--follow] [--tail N] [--json] [--server URL]

Prints the app's recent output (the last --tail lines, default 100, at most
1000); with -f keeps printing new lines until interrupted. Lines are printed
with escape sequences and control characters removed, so output from the
app cannot move the cursor, clear the screen or set the terminal title.
--json prints one JSON object per line ({ts, stream, line}).
`;

export interface LogEvent {
  ts: number;
  stream: string;
  line: string;
}

/** UTC "HH:MM:SS" of a millisecond timestamp, or blanks when it is not one. */
function clock(ts: unknown): string {
  if (typeof ts !== "number" || !Number.isFinite(ts)) return "        ";
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? "        " : d.toISOString().slice(11, 19);
}

/**
 * One log line as printed on a terminal: time, stream marker for stderr,
 * and the text through the line sanitiser (no ESC, no C0/C1 controls, no
 * CR or LF: one event is exactly one terminal line). Pure, for tests.
 */
export function formatLogLine(ev: Partial<LogEvent>): string {
  const marker = ev.stream === "stderr" ? " !" : "  ";
  return `${clock(ev.ts)}${marker} ${stripANSI(typeof ev.line === "string" ? ev.line : "")}\n`;
}

/**
 * A JSON log line with its text sanitised too: --json output is often piped
 * to a pager or terminal, and JSON.stringify leaves U+0080–U+009F as they are.
 */
export function formatLogJson(ev: Partial<LogEvent>): string {
  const line = stripANSI(typeof ev.line === "string" ? ev.line : "");
  return `${JSON.stringify({ ts: ev.ts ?? null, stream: ev.stream ?? null, line })}\n`;
}

/**
 * `logs`: reads `GET /apps/:slug/logs?tail=N[&follow=1]` as server-sent
 * events until `end` (or the server closes the stream). Events other than
 * `log` and `end` are ignored.
 */
export async function runLogs(args: string[], io: CliIO): Promise<void> {
  const { values, positionals: pos } = parseCommand(
    args,
    { follow: { type: "boolean", short: "f" }, tail: { type: "string", short: "n" } },
    LOGS_USAGE,
  );
  if (values.help) return void io.stdout.write(LOGS_USAGE);
  const [slug] = positionals(pos, ["app"], LOGS_USAGE);
  const tail = intOption(values.tail, "tail", LOGS_USAGE);
  const api = await authedApi(io, values.server);
  const res = await api.raw("GET", `/apps/${seg(slug!)}/logs`, {
    query: { tail, follow: values.follow ? 1 : undefined },
    headers: { accept: "text/event-stream" },
  });
  if (!res.body) return;
  for await (const ev of readEvents(res.body)) {
    if (ev.event === "end") break;
    if (ev.event !== "log") continue;
    const data = eventJson<Partial<LogEvent>>(ev);
    if (!data) continue;
    io.stdout.write(values.json ? formatLogJson(data) : formatLogLine(data));
  }
}
