/**
 * Hand-written equivalents of the zod schemas on the hub's hottest path: the
 * envelope (every frame) and the `heartbeat` and `app_stats` payloads (almost
 * all traffic). zod allocates a result and an issue list per field; these
 * allocate only the output object, which is what makes them several times
 * cheaper.
 *
 * Contract of every `fast*` function here: given the value `JSON.parse`
 * produced, it returns either null ("not decided here") or a value deeply
 * equal to what the corresponding zod schema's `safeParse(raw).data` would
 * be: same fields, same values, unknown fields stripped (or, for the strict
 * envelope, refused). When `raw` holds no unknown field, that value is `raw`
 * itself, so the common case allocates nothing; the caller owns `raw` (it
 * came from its own `JSON.parse`). It never returns a value for an input zod
 * rejects. Callers fall back to zod on null, so the accepted set is zod's by
 * construction, and zod still writes every error message. `fast-checks.test.ts` holds the
 * property tests (fast-check, random and adversarial inputs) that show the
 * verdicts and outputs agree in both directions.
 *
 * Only JSON values reach these functions: no getters, symbols, prototypes
 * other than Object.prototype, or non-enumerable properties.
 */
import type { Envelope } from "./envelope.js";
import type { AppStatsEntry, AppStatsPayload, HeartbeatPayload } from "./messages-worker.js";

/** The bound of `appStatsPayload.apps` (`.max(10_000)`). */
const MAX_APP_STATS_ENTRIES = 10_000;
const SIG_PATTERN = /^[0-9a-f]{64}$/;
const LONE_SURROGATE = /\p{Cs}/u;

type Json = Record<string, unknown>;

function isObject(raw: unknown): raw is Json {
  return typeof raw === "object" && raw !== null && !Array.isArray(raw);
}

/** zod `z.number().int().min(min)`: a safe integer ≥ min (so never NaN, ±Infinity or beyond 2^53). */
function isIntAtLeast(v: unknown, min: number): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= min;
}

/** zod `z.number().min(0)`: finite and ≥ 0 (−0 included, as zod has it). */
function isMeasure(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v) && v >= 0;
}

/** `String.prototype.isWellFormed` (ES2024, Node ≥ 20), when the runtime has it. */
const nativeIsWellFormed = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed;

/** `envelope.ts`'s `wellFormed`: true when `text` holds no lone UTF-16 surrogate. */
export const isWellFormedText: (text: string) => boolean = nativeIsWellFormed
  ? (text) => nativeIsWellFormed.call(text)
  : (text) => !LONE_SURROGATE.test(text);

/** The six envelope fields; a strict object has exactly these own enumerable keys. */
const ENVELOPE_KEY_COUNT = 6;
const HEARTBEAT_KEY_COUNT = 8;
const APP_STATS_ENTRY_KEY_COUNT = 7;

/**
 * The number of enumerable keys of a JSON object. When every known field
 * is present (none undefined), a count equal to the number of known fields
 * means there is no other.
 */
function keyCount(raw: Json): number {
  let keys = 0;
  for (const _key in raw) keys++;
  return keys;
}

/**
 * `envelopeSchema` (a strict object): exactly the keys type, seq, ts,
 * reply_to, payload, sig, each of the right type and form.
 */
export function fastEnvelope(raw: unknown): Envelope | null {
  if (!isObject(raw)) return null;
  const { type, seq, ts, reply_to: replyTo, payload, sig } = raw;
  if (typeof type !== "string" || type.length === 0 || type.includes("\n") || !isWellFormedText(type)) {
    return null;
  }
  if (!isIntAtLeast(seq, 1)) return null;
  if (typeof ts !== "number" || !Number.isSafeInteger(ts)) return null;
  if (replyTo !== null && !isIntAtLeast(replyTo, 1)) return null;
  if (typeof payload !== "string" || !isWellFormedText(payload)) return null;
  if (typeof sig !== "string" || !SIG_PATTERN.test(sig)) return null;
  if (keyCount(raw) !== ENVELOPE_KEY_COUNT) return null;
  return raw as Envelope;
}

/** `heartbeatPayload`: unknown fields stripped. */
export function fastHeartbeat(raw: unknown): HeartbeatPayload | null {
  if (!isObject(raw)) return null;
  const p = raw;
  if (
    !isMeasure(p.cpu_pct) ||
    !isIntAtLeast(p.mem_used_mb, 0) ||
    !isIntAtLeast(p.mem_total_mb, 0) ||
    !isIntAtLeast(p.disk_used_mb, 0) ||
    !isIntAtLeast(p.disk_total_mb, 0) ||
    !isIntAtLeast(p.running_apps, 0) ||
    typeof p.agent_version !== "string" ||
    p.agent_version.length < 1 ||
    !isMeasure(p.uptime_s)
  ) {
    return null;
  }
  if (keyCount(p) === HEARTBEAT_KEY_COUNT) return p as HeartbeatPayload;
  return {
    cpu_pct: p.cpu_pct,
    mem_used_mb: p.mem_used_mb,
    mem_total_mb: p.mem_total_mb,
    disk_used_mb: p.disk_used_mb,
    disk_total_mb: p.disk_total_mb,
    running_apps: p.running_apps,
    agent_version: p.agent_version,
    uptime_s: p.uptime_s,
  };
}

/** True when `e` passes `appStatsEntry` (whatever other fields it has). */
function isAppStatsEntry(e: unknown): e is Json & AppStatsEntry {
  return (
    isObject(e) &&
    isIntAtLeast(e.app_id, 1) &&
    isMeasure(e.cpu_pct) &&
    isIntAtLeast(e.mem_bytes, 0) &&
    isIntAtLeast(e.mem_limit_bytes, 0) &&
    isMeasure(e.net_mbps) &&
    isIntAtLeast(e.net_total_bytes, 0) &&
    isMeasure(e.disk_mbps)
  );
}

/** `appStatsEntry` of an entry that passes it: a copy without unknown fields. */
function strippedAppStatsEntry(e: AppStatsEntry): AppStatsEntry {
  return {
    app_id: e.app_id,
    cpu_pct: e.cpu_pct,
    mem_bytes: e.mem_bytes,
    mem_limit_bytes: e.mem_limit_bytes,
    net_mbps: e.net_mbps,
    net_total_bytes: e.net_total_bytes,
    disk_mbps: e.disk_mbps,
  };
}

/** `appStatsPayload`: at most 10,000 entries, each an `appStatsEntry`; unknown fields stripped. */
export function fastAppStats(raw: unknown): AppStatsPayload | null {
  if (!isObject(raw)) return null;
  const list: unknown = raw.apps;
  if (!Array.isArray(list) || list.length > MAX_APP_STATS_ENTRIES) return null;
  let exact = keyCount(raw) === 1;
  for (const entry of list as unknown[]) {
    if (!isAppStatsEntry(entry)) return null;
    if (exact && keyCount(entry) !== APP_STATS_ENTRY_KEY_COUNT) exact = false;
  }
  if (exact) return raw as AppStatsPayload;
  return { apps: (list as AppStatsEntry[]).map(strippedAppStatsEntry) };
}
