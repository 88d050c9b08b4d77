import { HmacSha256Key } from "../crypto/hmac-sha256.js";
import type { Envelope } from "./envelope.js";
import { parseEnvelope, peekSeq, signEnvelope, verifyEnvelope } from "./envelope.js";
import type { ProtocolErrorCode } from "./errors.js";
import { MAX_CLOCK_SKEW_MS } from "./errors.js";
import type { MessageType, ParsedMessage, PayloadInput, SchemaMap } from "./messages.js";
import { parsePayload, serverMessageSchemas } from "./messages.js";
import { SeqWindow } from "./seq-window.js";

export interface EnvelopeCodecOptions<In extends SchemaMap, Out extends SchemaMap> {
  /** The worker's envelope key (`envelopeKey(apiKey)`). */
  key: Buffer;
  /** The `conn_id` of this connection, from `hello`. */
  connId: string;
  /** Schemas of the messages this side receives. */
  inbound: In;
  /** Schemas of the messages this side sends (used for typing only). */
  outbound: Out;
  /** Milliseconds since the epoch; defaults to `Date.now`. */
  now?: () => number;
  /** Largest accepted |ts − now|; defaults to MAX_CLOCK_SKEW_MS. */
  maxSkewMs?: number;
}

/** The codes `decode` can fail with: checks 1–6 of §3. */
export type DecodeErrorCode = Exclude<ProtocolErrorCode, "not_ready" | "rate_limited" | "not_found">;

export interface DecodeFailure {
  ok: false;
  code: DecodeErrorCode;
  /** The offending `seq`, for the error's `reply_to`, when it could be read. */
  replyTo: number | null;
  /** True for `bad_signature` only: the caller sends the error, then closes with 1008. */
  fatal: boolean;
  /** Safe to send to the peer: names the problem, never echoes content. */
  message: string;
}

export type DecodeResult<In extends SchemaMap> =
  | ({ ok: true; env: Envelope } & ParsedMessage<In>)
  | DecodeFailure;

/**
 * The envelope layer of one connection, for either side: it signs what we
 * send with a seq counted from 1, and runs the inbound checks of worker
 * protocol §3 in order. Pure apart from its own counters; no I/O, no timers.
 *
 * Not thread-safe in any sense that matters here: call it from one
 * connection's message handler.
 */
export class EnvelopeCodec<In extends SchemaMap, Out extends SchemaMap> {
  readonly connId: string;
  /** The key prepared once: see EnvelopeKey. */
  readonly #key: HmacSha256Key;
  readonly #inbound: In;
  readonly #now: () => number;
  readonly #maxSkewMs: number;
  readonly #window = new SeqWindow();
  #lastSeq = 0;

  constructor(options: EnvelopeCodecOptions<In, Out>) {
    this.connId = options.connId;
    this.#key = new HmacSha256Key(options.key);
    this.#inbound = options.inbound;
    this.#now = options.now ?? Date.now;
    this.#maxSkewMs = options.maxSkewMs ?? MAX_CLOCK_SKEW_MS;
  }

  /** The seq of the last envelope `encode` produced; 0 before the first. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /**
   * The JSON text of a signed envelope carrying `payload`, serialised once
   * with `JSON.stringify`. Each call takes the next seq (1, 2, ...). The
   * payload is not validated at run time; its type is checked at compile time.
   */
  encode<T extends MessageType<Out>>(
    type: T,
    payload: PayloadInput<Out, T>,
    replyTo: number | null = null,
  ): string {
    const env = signEnvelope(this.#key, this.connId, {
      type,
      seq: this.#lastSeq + 1,
      ts: this.#now(),
      reply_to: replyTo,
      payload: JSON.stringify(payload),
    });
    this.#lastSeq = env.seq;
    return JSON.stringify(env);
  }

  /**
   * Checks 1–6 of §3, in this order, stopping at the first failure:
   * bad_envelope, bad_signature (fatal), clock_skew, replay, unknown_type,
   * bad_payload. A seq is consumed only by an envelope that passes checks 1–3,
   * so a forged or stale frame cannot burn a seq the peer has yet to use;
   * a frame that fails checks 5–6 has consumed its seq.
   */
  decode(text: string): DecodeResult<In> {
    const env = parseEnvelope(text);
    if (env === null) {
      return this.#fail("bad_envelope", peekSeq(text), "frame is not a valid envelope");
    }
    if (!verifyEnvelope(this.#key, this.connId, env)) {
      return { ...this.#fail("bad_signature", env.seq, "signature does not verify"), fatal: true };
    }
    const skew = env.ts - this.#now();
    if (Math.abs(skew) > this.#maxSkewMs) {
      return this.#fail("clock_skew", env.seq, `ts is ${skew} ms from our clock`);
    }
    if (!this.#window.accept(env.seq)) {
      return this.#fail("replay", env.seq, `seq ${env.seq} was already seen or is too old`);
    }
    const parsed = parsePayload(this.#inbound, env.type, env.payload);
    if (!parsed.ok) return this.#fail(parsed.code, env.seq, parsed.message);
    return { ok: true, type: parsed.type, payload: parsed.payload, env } as DecodeResult<In>;
  }

  #fail(code: DecodeErrorCode, replyTo: number | null, message: string): DecodeFailure {
    return { ok: false, code, replyTo, fatal: false, message };
  }
}

/**
 * The agent's first step: a worker learns `conn_id` only from the `hello`
 * payload, which is itself signed with that `conn_id`. This reads `conn_id`
 * from an unverified frame; the caller then builds the codec with it and runs
 * the same frame through `decode`, which verifies the signature. Null when
 * the frame is not a well-formed `hello`.
 */
export function peekHelloConnId(text: string): string | null {
  const env = parseEnvelope(text);
  if (env === null || env.type !== "hello") return null;
  const parsed = parsePayload(serverMessageSchemas, env.type, env.payload);
  return parsed.ok && parsed.type === "hello" ? parsed.payload.conn_id : null;
}
