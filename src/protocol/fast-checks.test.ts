import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { z } from "zod";

import { envelopeSchema } from "./envelope.js";
import { fastAppStats, fastEnvelope, fastHeartbeat, isWellFormedText } from "./fast-checks.js";
import { appStatsPayload, heartbeatPayload } from "./messages-worker.js";

/**
 * The hand-written checks must agree with the zod schemas they stand in for:
 * for every input, the fast check accepts exactly when zod does, and then
 * returns exactly zod's output (`toStrictEqual`, so -0 vs 0 and stray keys
 * count). Inputs are JSON values, as `JSON.parse` makes them: valid objects,
 * the same with one field swapped for an adversarial value, a field dropped
 * or an unknown field added (including `__proto__` as an own key), and
 * arbitrary JSON.
 */

/** Verdicts seen, so a test can show it exercised both sides. */
const verdicts = { accepted: 0, rejected: 0 };

function agree(schema: z.ZodType, fast: (raw: unknown) => unknown, raw: unknown): void {
  const expected = schema.safeParse(raw);
  const actual = fast(raw);
  expect(actual !== null, JSON.stringify(raw)).toBe(expected.success);
  if (expected.success) expect(actual).toStrictEqual(expected.data);
  verdicts[expected.success ? "accepted" : "rejected"]++;
}

/** Runs `check`, then requires that it saw at least `min` inputs accepted and `min` rejected. */
function bothWays(min: number, check: () => void): void {
  verdicts.accepted = 0;
  verdicts.rejected = 0;
  check();
  expect(verdicts.accepted).toBeGreaterThanOrEqual(min);
  expect(verdicts.rejected).toBeGreaterThanOrEqual(min);
}

/** Hex strings, mostly lowercase, with an uppercase digit now and then. */
const hex = (minLength: number, maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(..."0123456789abcdef0123456789abcdefABCDEF"), minLength, maxLength });
const lowerHex = (length: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: length, maxLength: length });

/** Values at and around every boundary the schemas draw, and wrong types. */
const edgeValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    0,
    -0,
    1,
    -1,
    0.5,
    -0.5,
    1.5,
    2 ** 53 - 1,
    2 ** 53,
    -(2 ** 53 - 1),
    -(2 ** 53),
    1e308,
    Infinity,
    -Infinity,
    NaN,
    Number.MIN_VALUE,
    "",
    "0",
    "1",
    "x",
    "\n",
    "a\nb",
    "\r",
    "\ud800",
    "a\udc00b",
    "\ud83d\ude00",
    "a".repeat(64),
    "0".repeat(64),
    "A".repeat(64),
    "0".repeat(63),
    "0".repeat(65),
    null,
    true,
    false,
    [],
    {},
    [1],
  ),
  fc.integer({ min: -5, max: 5 }),
  fc.double(),
  fc.string({ unit: "binary" }),
  hex(63, 65),
  fc.jsonValue({ maxDepth: 2 }),
);

/** Turns a valid object into a near miss: one field replaced, dropped, or an extra field added. */
function nearMiss(valid: fc.Arbitrary<Record<string, unknown>>, keys: readonly string[]) {
  return fc.oneof(
    valid,
    fc
      .tuple(valid, fc.constantFrom(...keys), edgeValue)
      .map(([obj, key, value]) => ({ ...obj, [key]: value })),
    fc.tuple(valid, fc.constantFrom(...keys)).map(([obj, key]) => {
      const copy = { ...obj };
      delete copy[key];
      return copy;
    }),
    fc
      .tuple(valid, fc.constantFrom("extra", "__proto__", "constructor", "toString", "x"), edgeValue)
      .map(([obj, key, value]) => withOwnKey(obj, key, value)),
  );
}

/** `obj` plus an own enumerable `key` (even `__proto__`), as JSON.parse builds it. */
function withOwnKey(obj: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const rest = JSON.stringify(obj).slice(1, -1);
  const text = `{${JSON.stringify(key)}:${JSON.stringify(value) ?? "null"}${rest ? `,${rest}` : ""}}`;
  return JSON.parse(text) as Record<string, unknown>;
}

/**
 * `value` with every object rebuilt on Object.prototype, values untouched
 * (-0, NaN and all). fast-check's records sometimes have a null prototype,
 * which JSON.parse never makes and the fast checks' contract excludes: a fast
 * check returns such an input itself, and `toStrictEqual` tells prototypes apart.
 */
function onObjectPrototype(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(onObjectPrototype);
  if (typeof value !== "object" || value === null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    Object.defineProperty(copy, key, {
      value: onObjectPrototype(v),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return copy;
}

/** What the parsers see: the JSON text round trip, as on the wire (drops undefined, NaN → null, and so on). */
function viaJson(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : JSON.parse(text);
}

const num = fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.integer({ min: 0, max: 1000 }));
const nat = fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER));

const heartbeatArb = fc.record({
  cpu_pct: num,
  mem_used_mb: nat,
  mem_total_mb: nat,
  disk_used_mb: nat,
  disk_total_mb: nat,
  running_apps: nat,
  agent_version: fc.string({ minLength: 1 }),
  uptime_s: num,
});

const entryArb = fc.record({
  app_id: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  cpu_pct: num,
  mem_bytes: nat,
  mem_limit_bytes: nat,
  net_mbps: num,
  net_total_bytes: nat,
  disk_mbps: num,
});
const entryKeys = [
  "app_id",
  "cpu_pct",
  "mem_bytes",
  "mem_limit_bytes",
  "net_mbps",
  "net_total_bytes",
  "disk_mbps",
];

const envelopeArb = fc.record({
  type: fc.string({ minLength: 1 }),
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  ts: fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  reply_to: fc.option(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), { nil: null }),
  payload: fc.string({ unit: "binary" }),
  sig: fc.oneof(lowerHex(64), hex(64, 64)),
});

describe("fast checks agree with the zod schemas (property)", () => {
  it("envelope", () => {
    const keys = ["type", "seq", "ts", "reply_to", "payload", "sig"];
    bothWays(300, () =>
      fc.assert(
        fc.property(fc.oneof(nearMiss(envelopeArb, keys), fc.jsonValue()), (raw) => {
          agree(envelopeSchema, fastEnvelope, viaJson(raw));
          agree(envelopeSchema, fastEnvelope, onObjectPrototype(raw));
        }),
        { numRuns: 3000 },
      ),
    );
  });

  it("heartbeat", () => {
    bothWays(300, () =>
      fc.assert(
        fc.property(
          fc.oneof(nearMiss(heartbeatArb, Object.keys(heartbeatPayload.shape)), fc.jsonValue()),
          (raw) => {
            agree(heartbeatPayload, fastHeartbeat, viaJson(raw));
            agree(heartbeatPayload, fastHeartbeat, onObjectPrototype(raw));
          },
        ),
        { numRuns: 3000 },
      ),
    );
  });

  it("app_stats", () => {
    const entries = fc.array(nearMiss(entryArb, entryKeys), { maxLength: 12 });
    const payload = fc.oneof(
      entries.map((apps) => ({ apps })),
      nearMiss(
        entries.map((apps) => ({ apps })),
        ["apps"],
      ),
      fc.jsonValue(),
    );
    bothWays(300, () =>
      fc.assert(
        fc.property(payload, (raw) => {
          agree(appStatsPayload, fastAppStats, viaJson(raw));
          agree(appStatsPayload, fastAppStats, onObjectPrototype(raw));
        }),
        { numRuns: 3000 },
      ),
    );
  });

  it("app_stats at and over its 10,000-entry bound", () => {
    const entry = {
      app_id: 1,
      cpu_pct: 0,
      mem_bytes: 0,
      mem_limit_bytes: 0,
      net_mbps: 0,
      net_total_bytes: 0,
      disk_mbps: 0,
    };
    for (const n of [0, 10_000, 10_001]) {
      agree(appStatsPayload, fastAppStats, { apps: Array.from({ length: n }, () => entry) });
    }
  });

  it("returns the parsed value itself when there is nothing to strip, and a stripped copy otherwise", () => {
    const entry =
      '{"app_id":7,"cpu_pct":1.5,"mem_bytes":1,"mem_limit_bytes":2,"net_mbps":0,"net_total_bytes":3,"disk_mbps":0}';
    const exact: unknown = JSON.parse(`{"apps":[${entry},${entry}]}`);
    expect(fastAppStats(exact)).toBe(exact);
    const extra: unknown = JSON.parse(`{"apps":[${entry},${entry.replace("{", '{"extra":1,')}]}`);
    const stripped = fastAppStats(extra);
    expect(stripped).not.toBe(extra);
    expect(stripped).toStrictEqual(appStatsPayload.parse(extra));
    expect(Object.keys(stripped?.apps[1] ?? {})).not.toContain("extra");

    const beat: unknown = JSON.parse(
      '{"cpu_pct":1,"mem_used_mb":1,"mem_total_mb":2,"disk_used_mb":1,"disk_total_mb":2,"running_apps":0,"agent_version":"v","uptime_s":1}',
    );
    expect(fastHeartbeat(beat)).toBe(beat);
  });

  it("well-formedness is the schema's lone-surrogate test", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        expect(isWellFormedText(text)).toBe(!/\p{Cs}/u.test(text));
      }),
      { numRuns: 5000 },
    );
    for (const text of ["", "a", "\ud800", "\udc00", "\ud83d\ude00", "\ude00\ud83d", "x\ud83dy"]) {
      expect(isWellFormedText(text)).toBe(!/\p{Cs}/u.test(text));
    }
  });
});
