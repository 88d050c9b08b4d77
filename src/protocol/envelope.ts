import { randomBytes } from "node:crypto";

import { z } from "zod";

import { HmacSha256Key } from "../crypto/hmac-sha256.js";
import { fastEnvelope, isWellFormedText } from "./fast-checks.js";

/** Frames larger than this (UTF-8 bytes) are rejected as `bad_envelope` (or closed with 1009). */
export const MAX_FRAME_BYTES = 2 * 1024 * 1024;

/**
 * One WebSocket text frame (worker protocol §3). `payload` is the JSON text
 * of the payload object, signed byte for byte as it stands; nobody
 * re-serialises it.
 *
 * Beyond the spec, `type` may not contain "\n", and neither `type` nor
 * `payload` may hold a lone UTF-16 surrogate (possible through a JSON `\ud800`
 * escape). With both, the signing string maps to exactly one envelope and its
 * UTF-8 bytes to exactly one signing string, so one signature can never be
 * read as covering a different envelope.
 */
const wellFormed = isWellFormedText;

export const envelopeSchema = z.strictObject({
  type: z
    .string()
    .regex(/^[^\n]+$/)
    .refine(wellFormed),
  seq: z.number().int().min(1),
  ts: z.number().int(),
  reply_to: z.number().int().min(1).nullable(),
  payload: z.string().refine(wellFormed),
  sig: z.string().regex(/^[0-9a-f]{64}$/),
});

export type Envelope = z.infer<typeof envelopeSchema>;
export type UnsignedEnvelope = Omit<Envelope, "sig">;

/** 16 random bytes as 32 lowercase hex: the `conn_id` the server sends in `hello`. */
export function generateConnId(random: (size: number) => Buffer = randomBytes): string {
  return random(16).toString("hex");
}

/**
 * The exact string that `sig` covers:
 * "v1\n" + conn_id + "\n" + type + "\n" + seq + "\n" + ts + "\n" + (reply_to ?? "") + "\n" + payload.
 * Numbers are safe integers, which `String` writes in plain decimal.
 */
export function signingString(connId: string, env: UnsignedEnvelope): string {
  return signingHead(connId, env) + env.payload;
}

/** The signing string up to the payload: everything but `payload`, ending in "\n". */
function signingHead(connId: string, env: UnsignedEnvelope): string {
  const replyTo = env.reply_to === null ? "" : String(env.reply_to);
  return `v1\n${connId}\n${env.type}\n${env.seq}\n${env.ts}\n${replyTo}\n`;
}

/**
 * An envelope key: the raw bytes, or an HmacSha256Key made from them once,
 * as a connection does: each envelope then skips preparing the key.
 */
export type EnvelopeKey = Buffer | HmacSha256Key;

const prepared = (key: EnvelopeKey): HmacSha256Key =>
  key instanceof HmacSha256Key ? key : new HmacSha256Key(key);

/**
 * Returns `fields` with `sig` = lowercase hex HMAC-SHA256 of the signing
 * string under `key` (the worker's envelope key). Throws if `fields` would not
 * pass `envelopeSchema`, so we never send what the peer must reject.
 */
export function signEnvelope(key: EnvelopeKey, connId: string, fields: UnsignedEnvelope): Envelope {
  // The payload (nearly all of the bytes) is never copied into a signing string.
  const env = { ...fields, sig: prepared(key).hex(signingHead(connId, fields), fields.payload) };
  envelopeSchema.parse(env);
  return env;
}

/**
 * True when `env.sig` is the signature of `env` on connection `connId`:
 * exactly the lowercase hex HMAC, compared in constant time (see
 * HmacSha256Key.matchesHex).
 */
export function verifyEnvelope(key: EnvelopeKey, connId: string, env: Envelope): boolean {
  return prepared(key).matchesHex(signingHead(connId, env), env.payload, env.sig);
}

/**
 * Check 1 of §3: `text` is at most MAX_FRAME_BYTES of UTF-8 and is a JSON
 * object with exactly the envelope fields, of the right types. Returns null
 * otherwise; never throws. Says nothing about the signature.
 */
export function parseEnvelope(text: string): Envelope | null {
  if (!fitsFrame(text)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  // The hand-written check accepts exactly what the schema accepts (fast-checks.ts); zod decides the rest.
  const fast = fastEnvelope(raw);
  if (fast !== null) return fast;
  const result = envelopeSchema.safeParse(raw);
  return result.success ? result.data : null;
}

/**
 * Best effort: the `seq` of a frame that failed `parseEnvelope`, so an error
 * can still name it in `reply_to`. Null when there is none to read.
 */
export function peekSeq(text: string): number | null {
  if (!fitsFrame(text)) return null;
  try {
    const raw: unknown = JSON.parse(text);
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return null;
    const seq: unknown = (raw as Record<string, unknown>)["seq"];
    return typeof seq === "number" && Number.isSafeInteger(seq) && seq >= 1 ? seq : null;
  } catch {
    return null;
  }
}

/**
 * True when `text` is at most MAX_FRAME_BYTES in UTF-8. A UTF-16 code unit
 * takes at most 3 bytes, so short text needs no byte count.
 */
function fitsFrame(text: string): boolean {
  return text.length * 3 <= MAX_FRAME_BYTES || Buffer.byteLength(text, "utf8") <= MAX_FRAME_BYTES;
}
