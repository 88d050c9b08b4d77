import { createHash } from "node:crypto";

import { describe, expect, it } from "vitest";

import { API_KEY_PATTERN, envelopeKey, generateApiKey, hashApiKey, hashToken, randomHex } from "./api-key.js";
import { deriveKey, PURPOSE_ENVELOPE } from "./hkdf.js";

describe("api keys", () => {
  it("generates 64 lowercase hex characters, fresh each time", () => {
    const a = generateApiKey();
    expect(a).toMatch(API_KEY_PATTERN);
    expect(generateApiKey()).not.toBe(a);
  });

  it("uses the injected randomness", () => {
    expect(generateApiKey((n) => Buffer.alloc(n, 0xab))).toBe("ab".repeat(32));
    expect(randomHex(16, (n) => Buffer.alloc(n, 1))).toBe("01".repeat(16));
  });

  it("hashes as lowercase hex SHA-256 of the UTF-8 bytes", () => {
    expect(hashApiKey("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(hashApiKey("ü")).toBe(createHash("sha256").update(Buffer.from("ü", "utf8")).digest("hex"));
    expect(hashToken).toBe(hashApiKey);
  });

  it("derives the envelope key from the key itself, not from its hash", () => {
    const apiKey = "0".repeat(64);
    expect(envelopeKey(apiKey).equals(deriveKey(Buffer.from(apiKey, "utf8"), PURPOSE_ENVELOPE))).toBe(true);
    expect(envelopeKey(apiKey).equals(deriveKey(hashApiKey(apiKey), PURPOSE_ENVELOPE))).toBe(false);
    expect(envelopeKey(apiKey).length).toBe(32);
  });
});
