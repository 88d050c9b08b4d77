import type { Kysely } from "kysely";
import { TRUNCATION_MARKER } from "../api/log-sanitize.js";
import { buildLogFingerprint, readBuildLog } from "../db/deployments.js";
import type { DB, DeploymentStatus } from "../db/schema.js";
import type { EventStream } from "./sse.js";

/** Statuses after which a deployment's build log no longer grows. */
export const FINAL_DEPLOYMENT_STATUSES: ReadonlySet<DeploymentStatus> = new Set([
  "running",
  "failed",
  "superseded",
  "stopped",
]);
/** How often a following reader re-reads the deployment row. */
export const BUILD_LOG_POLL_MS = 500;
/** Sent when the stored log was capped past what the reader had: what follows is the log's kept tail. */
export const LOG_RESUMED_MARKER = "\n...[log truncated: resuming from its kept tail]...\n";
/** Largest `text` of one `log` event, in UTF-16 code units. */
const CHUNK_CHARS = 64 * 1024;
/** How much of the text already sent is kept to find the reader's place again. */
const ANCHOR_CHARS = 256;

/**
 * What of a build log one reader has been sent. The stored log only grows,
 * except when appendBuildLogs caps it (capLogs keeps the head, then
 * TRUNCATION_MARKER, then the newest tail): then the reader's offset no
 * longer points after the text it saw. next() detects that by the last
 * characters sent (the anchor), resumes right after them if they are still
 * in the kept tail, or else sends LOG_RESUMED_MARKER and the whole kept tail.
 */
export class BuildLogCursor {
  private offset = 0;
  private anchor = "";

  /** The text this reader has not seen yet, given the log as now stored. */
  next(logs: string): string {
    let out: string;
    const start = this.offset - this.anchor.length;
    if (logs.length >= this.offset && logs.slice(start, this.offset) === this.anchor) {
      out = logs.slice(this.offset);
    } else {
      const marker = logs.indexOf(TRUNCATION_MARKER);
      const tailStart = marker >= 0 ? marker + TRUNCATION_MARKER.length : 0;
      const seen = logs.lastIndexOf(this.anchor);
      out =
        seen >= tailStart
          ? logs.slice(seen + this.anchor.length)
          : LOG_RESUMED_MARKER + logs.slice(tailStart);
    }
    this.offset = logs.length;
    this.anchor = logs.slice(Math.max(0, logs.length - ANCHOR_CHARS));
    return out;
  }
}

/** `text` in pieces of at most CHUNK_CHARS, never splitting a surrogate pair. */
function chunks(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    let end = Math.min(text.length, i + CHUNK_CHARS);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    out.push(text.slice(i, end));
    i = end;
  }
  return out;
}

function pause(ms: number, done: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const slept = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([slept, done]).finally(() => clearTimeout(timer));
}

/**
 * Sends a deployment's build log on `stream` as `log` events ({text}), then
 * an `end` event ({status, error}) and closes it. Without `follow`, sends what
 * is stored and ends. With `follow`, re-reads the row every `pollMs` (the
 * database is the truth, so this is right whichever replica the worker
 * writes through), sending only new text, until the deployment's status is
 * final, the row is gone, or the client leaves. A cheap fingerprint query
 * (status, length, last characters) keeps idle polls from reading the log.
 */
export async function streamBuildLog(
  db: Kysely<DB>,
  stream: EventStream,
  deploymentId: number,
  follow: boolean,
  pollMs = BUILD_LOG_POLL_MS,
): Promise<void> {
  const cursor = new BuildLogCursor();
  let seen: string | undefined;
  while (!stream.closed) {
    const fp = await buildLogFingerprint(db, deploymentId);
    const key = fp ? `${fp.status}\n${fp.bytes}\n${fp.tail}` : "";
    if (key !== seen) {
      seen = key;
      const row = await readBuildLog(db, deploymentId);
      if (!row) {
        stream.send("end", { status: null, error: "the deployment was deleted" });
        break;
      }
      for (const text of chunks(cursor.next(row.build_logs))) stream.send("log", { text });
      if (!follow || FINAL_DEPLOYMENT_STATUSES.has(row.status)) {
        stream.send("end", { status: row.status, error: row.error });
        break;
      }
    }
    await pause(pollMs, stream.done);
  }
  stream.close();
}
