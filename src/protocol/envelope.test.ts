import { createHmac, randomBytes } from "node:crypto";

import fc from "fast-check";
import { describe, expect, it } from "vitest";

import type { Envelope, UnsignedEnvelope } from "./envelope.js";
import {
  generateConnId,
  MAX_FRAME_BYTES,
  parseEnvelope,
  peekSeq,
  signEnvelope,
  signingString,
  verifyEnvelope,
} from "./envelope.js";

const key = randomBytes(32);
const connId = "0123456789abcdef0123456789abcdef";
const HEX = "0123456789abcdef";

const unsignedArb: fc.Arbitrary<UnsignedEnvelope> = fc.record({
  type: fc.string({ minLength: 1, unit: "grapheme" }).filter((t) => !t.includes("\n")),
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  ts: fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  reply_to: fc.option(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), { nil: null }),
  payload: fc.string({ unit: "grapheme" }),
});

function replaceAt(text: string, index: number, char: string): string {
  return text.slice(0, index) + char + text.slice(index + 1);
}

/** A copy of `env` with one character of one field changed (numbers: one decimal digit). */
const mutationArb = fc
  .tuple(unsignedArb, fc.constantFrom("type", "seq", "ts", "reply_to", "payload", "sig"), fc.nat(), fc.nat())
  .map(([fields, field, pos, pick]) => ({ fields, field, pos, pick }));

function mutate(env: Envelope, field: string, pos: number, pick: number): Envelope | null {
  const changeDigit = (n: number): number => {
    const digits = String(Math.abs(n));
    const i = pos % digits.length;
    const next = String((Number(digits[i]) + 1 + (pick % 9)) % 10);
    return Number(replaceAt(digits, i, next)) * Math.sign(n || 1);
  };
  switch (field) {
    case "type":
    case "payload": {
      const text = env[field];
      if (text.length === 0) return { ...env, [field]: "x" };
      const i = pos % text.length;
      const char = String.fromCharCode(32 + (pick % 95));
      return char === text[i] ? null : { ...env, [field]: replaceAt(text, i, char) };
    }
    case "seq":
    case "ts": {
      const changed = changeDigit(env[field]);
      return changed === env[field] || !Number.isSafeInteger(changed) ? null : { ...env, [field]: changed };
    }
    case "reply_to":
      if (env.reply_to === null) return { ...env, reply_to: 1 + (pick % 1000) };
      return pick % 2 === 0 ? { ...env, reply_to: null } : { ...env, reply_to: env.reply_to + 1 };
    default: {
      const i = pos % 64;
      const char = HEX[(HEX.indexOf(env.sig[i] ?? "0") + 1 + (pick % 15)) % 16] ?? "0";
      return { ...env, sig: replaceAt(env.sig, i, char) };
    }
  }
}

describe("envelope signatures", () => {
  it("builds the signing string exactly as §3 writes it", () => {
    const fields = {
      type: "heartbeat",
      seq: 12,
      ts: 1764418500123,
      reply_to: null,
      payload: '{"cpu_pct":12.5}',
    };
    expect(signingString("abc", fields)).toBe('v1\nabc\nheartbeat\n12\n1764418500123\n\n{"cpu_pct":12.5}');
    expect(signingString("abc", { ...fields, reply_to: 7 })).toBe(
      'v1\nabc\nheartbeat\n12\n1764418500123\n7\n{"cpu_pct":12.5}',
    );
    const env = signEnvelope(key, "abc", fields);
    const expected = createHmac("sha256", key).update(signingString("abc", fields), "utf8").digest("hex");
    expect(env.sig).toBe(expected);
  });

  it("verifies what it signs (property)", () => {
    fc.assert(
      fc.property(unsignedArb, (fields) => {
        const env = signEnvelope(key, connId, fields);
        expect(env.sig).toMatch(/^[0-9a-f]{64}$/);
        expect(verifyEnvelope(key, connId, env)).toBe(true);
        expect(parseEnvelope(JSON.stringify(env))).toEqual(env);
      }),
    );
  });

  it("rejects a change to any character of any field (property)", () => {
    fc.assert(
      fc.property(mutationArb, ({ fields, field, pos, pick }) => {
        const env = signEnvelope(key, connId, fields);
        const changed = mutate(env, field, pos, pick);
        fc.pre(changed !== null);
        expect(verifyEnvelope(key, connId, changed)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it("rejects another conn_id or another key", () => {
    fc.assert(
      fc.property(unsignedArb, (fields) => {
        const env = signEnvelope(key, connId, fields);
        expect(verifyEnvelope(key, generateConnId(), env)).toBe(false);
        expect(verifyEnvelope(randomBytes(32), connId, env)).toBe(false);
      }),
      { numRuns: 50 },
    );
  });

  it("refuses to sign a type containing a newline", () => {
    expect(() =>
      signEnvelope(key, connId, { type: "a\nb", seq: 1, ts: 0, reply_to: null, payload: "" }),
    ).toThrow();
  });

  it("generates 32-hex conn ids from injected randomness", () => {
    expect(generateConnId()).toMatch(/^[0-9a-f]{32}$/);
    expect(generateConnId((n) => Buffer.alloc(n, 0xff))).toBe("f".repeat(32));
  });
});

describe("parseEnvelope", () => {
  const good = signEnvelope(key, connId, { type: "heartbeat", seq: 3, ts: 5, reply_to: null, payload: "{}" });

  it("accepts a well-formed envelope", () => {
    expect(parseEnvelope(JSON.stringify(good))).toEqual(good);
  });

  it.each([
    ["not JSON", "{"],
    ["an array", "[]"],
    ["null", "null"],
    ["a missing field", JSON.stringify({ ...good, sig: undefined })],
    ["an extra field", JSON.stringify({ ...good, extra: 1 })],
    ["an empty type", JSON.stringify({ ...good, type: "" })],
    ["seq 0", JSON.stringify({ ...good, seq: 0 })],
    ["a fractional seq", JSON.stringify({ ...good, seq: 1.5 })],
    ["a seq beyond 2^53", JSON.stringify({ ...good, seq: 2 ** 53 })],
    ["a string seq", JSON.stringify({ ...good, seq: "3" })],
    ["a fractional ts", JSON.stringify({ ...good, ts: 1.5 })],
    ["reply_to 0", JSON.stringify({ ...good, reply_to: 0 })],
    ["a missing reply_to", JSON.stringify({ ...good, reply_to: undefined })],
    ["an object payload", JSON.stringify({ ...good, payload: {} })],
    ["an uppercase sig", JSON.stringify({ ...good, sig: good.sig.toUpperCase() })],
    ["a short sig", JSON.stringify({ ...good, sig: good.sig.slice(1) })],
    ["a type with a newline", JSON.stringify({ ...good, type: "heart\nbeat" })],
    ["a payload with a lone surrogate", JSON.stringify({ ...good, payload: '{"a":"\ud800"}' })],
  ])("rejects %s", (_name, text) => {
    expect(parseEnvelope(text)).toBeNull();
  });

  it("rejects frames over 2 MiB", () => {
    const big = JSON.stringify({ ...good, payload: "x".repeat(MAX_FRAME_BYTES) });
    expect(parseEnvelope(big)).toBeNull();
    expect(MAX_FRAME_BYTES).toBe(2 * 1024 * 1024);
  });

  it("peeks the seq of a broken frame when it can", () => {
    expect(peekSeq(JSON.stringify({ seq: 9, type: 1 }))).toBe(9);
    expect(peekSeq(JSON.stringify({ seq: 0 }))).toBeNull();
    expect(peekSeq("[1]")).toBeNull();
    expect(peekSeq("{")).toBeNull();
  });
});
