import { createHmac, randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { HmacSha256Key } from "./hmac-sha256.js";

const reference = (key: Buffer, message: string): string =>
  createHmac("sha256", key).update(message, "utf8").digest("hex");

describe("HmacSha256Key", () => {
  it("equals createHmac for any key and any string", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 200 }),
        fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.string({ unit: "binary" })),
        (bytes, message) => {
          const key = Buffer.from(bytes);
          expect(new HmacSha256Key(key).hex(message)).toBe(reference(key, message));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("matches RFC 4231 test case 2 and a key longer than one block (test case 6)", () => {
    expect(new HmacSha256Key(Buffer.from("Jefe")).hex("what do ya want for nothing?")).toBe(
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    );
    expect(
      new HmacSha256Key(Buffer.alloc(131, 0xaa)).hex(
        "Test Using Larger Than Block-Size Key - Hash Key First",
      ),
    ).toBe("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  });

  it("MACs head + body as one string, even with a surrogate pair split between them", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 80 }),
        fc.string({ unit: "binary" }),
        fc.string({ unit: "binary" }),
        (bytes, head, body) => {
          const key = Buffer.from(bytes);
          expect(new HmacSha256Key(key).hex(head, body)).toBe(reference(key, head + body));
        },
      ),
      { numRuns: 500 },
    );
    const key = randomBytes(32);
    const hmac = new HmacSha256Key(key);
    expect(hmac.hex("a\ud83d", "\ude00b")).toBe(reference(key, "a\ud83d\ude00b"));
    expect(hmac.hex("x".repeat(9000), "y".repeat(9000))).toBe(
      reference(key, "x".repeat(9000) + "y".repeat(9000)),
    );
  });

  it("matchesHex accepts exactly the lowercase hex MAC", () => {
    const key = randomBytes(32);
    const hmac = new HmacSha256Key(key);
    const mac = reference(key, "head\nbody");
    expect(hmac.matchesHex("head\n", "body", mac)).toBe(true);
    const flip = (i: number): string => mac.slice(0, i) + (mac[i] === "0" ? "1" : "0") + mac.slice(i + 1);
    for (const given of [
      mac.toUpperCase(),
      flip(0),
      flip(63),
      mac.slice(0, 63),
      `${mac}0`,
      "",
      `é${mac.slice(1)}`,
      `\u0100${mac.slice(1)}`,
      "\u{1F600}".repeat(32),
    ]) {
      expect(hmac.matchesHex("head\n", "body", given), given).toBe(false);
    }
    fc.assert(
      fc.property(fc.string(), fc.string(), (body, given) => {
        expect(hmac.matchesHex("h", body, given)).toBe(given === reference(key, `h${body}`));
      }),
    );
  });

  it("keeps keys apart when MACs under different keys interleave", () => {
    const a = randomBytes(32);
    const b = randomBytes(32);
    const keyA = new HmacSha256Key(a);
    const keyB = new HmacSha256Key(b);
    for (const message of ["x", "y".repeat(5000), "z"]) {
      expect(keyA.hex(message)).toBe(reference(a, message));
      expect(keyB.hex(message)).toBe(reference(b, message));
    }
  });

  it("handles messages past the scratch buffer and lone surrogates as UTF-8 does", () => {
    const key = randomBytes(32);
    const hmac = new HmacSha256Key(key);
    for (const message of [
      "€".repeat(16 * 1024),
      "€".repeat(16 * 1024 + 1),
      "a\ud800b",
      "\udfff".repeat(20_000),
      "",
    ]) {
      expect(hmac.hex(message)).toBe(reference(key, message));
    }
  });
});
