import { createHmac } from "node:crypto";

import { describe, expect, it } from "vitest";

import type { Purpose } from "./hkdf.js";
import { deriveKey, PURPOSE_AES, PURPOSE_ENVELOPE, PURPOSE_WORKER_JWT, PURPOSES } from "./hkdf.js";

/** RFC 5869 written out with HMAC directly, independent of `hkdfSync`. */
function referenceHkdf(ikm: Buffer, salt: Buffer, info: Buffer, length: number): Buffer {
  const prk = createHmac("sha256", salt.length > 0 ? salt : Buffer.alloc(32))
    .update(ikm)
    .digest();
  const blocks: Buffer[] = [];
  let previous = Buffer.alloc(0);
  for (let i = 1; Buffer.concat(blocks).length < length; i++) {
    previous = createHmac("sha256", prk)
      .update(Buffer.concat([previous, info, Buffer.from([i])]))
      .digest();
    blocks.push(previous);
  }
  return Buffer.concat(blocks).subarray(0, length);
}

describe("deriveKey", () => {
  it("reference HKDF matches RFC 5869 test case 3 (SHA-256, empty salt and info)", () => {
    const okm = referenceHkdf(Buffer.alloc(22, 0x0b), Buffer.alloc(0), Buffer.alloc(0), 42);
    expect(okm.toString("hex")).toBe(
      "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
    );
  });

  it("equals RFC 5869 HKDF-SHA256 with empty salt and info = purpose", () => {
    const ikm = Buffer.alloc(22, 0x0b);
    for (const purpose of PURPOSES) {
      const expected = referenceHkdf(ikm, Buffer.alloc(0), Buffer.from(purpose), 32);
      expect(deriveKey(ikm, purpose).equals(expected)).toBe(true);
    }
  });

  it("takes a string ikm as its UTF-8 bytes and honours length", () => {
    const secret = "mästersecret-ünïcode-0123456789abcdef";
    const key = deriveKey(secret, PURPOSE_AES, 42);
    expect(key).toBeInstanceOf(Buffer);
    expect(key.length).toBe(42);
    expect(key.equals(deriveKey(Buffer.from(secret, "utf8"), PURPOSE_AES, 42))).toBe(true);
    expect(
      key.equals(referenceHkdf(Buffer.from(secret), Buffer.alloc(0), Buffer.from(PURPOSE_AES), 42)),
    ).toBe(true);
  });

  it("gives a different key for every purpose", () => {
    const ikm = "the same master secret, at least 32 bytes long";
    const purposes: Purpose[] = [PURPOSE_WORKER_JWT, PURPOSE_ENVELOPE, PURPOSE_AES];
    const keys = purposes.map((p) => deriveKey(ikm, p).toString("hex"));
    expect(new Set(keys).size).toBe(3);
    expect(deriveKey(ikm, PURPOSE_AES).length).toBe(32);
  });

  it("pins the purpose labels", () => {
    expect(PURPOSES).toEqual(["wisehosting-worker-jwt-v1", "wisehosting-envelope-v1", "wisehosting-aes-v1"]);
  });
});
