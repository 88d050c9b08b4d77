import { randomBytes } from "node:crypto";

import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { CryptoError, open, openString, seal, SecretBox } from "./aes.js";
import { deriveKey, PURPOSE_AES } from "./hkdf.js";

const key = randomBytes(32);
const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

function expectDecryptFailed(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CryptoError);
    expect((err as CryptoError).code).toBe("decrypt_failed");
    return;
  }
  throw new Error("expected decrypt_failed, but open succeeded");
}

describe("seal / open", () => {
  it("round-trips strings and buffers, with and without aad", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), fc.option(fc.string()), (text, aad) => {
        const sealed = seal(key, text, aad ?? undefined);
        expect(openString(key, sealed, aad ?? undefined)).toBe(text);
      }),
    );
    const bytes = randomBytes(1000);
    expect(open(key, seal(key, bytes)).equals(bytes)).toBe(true);
  });

  it("writes the versioned format with a fresh nonce each time", () => {
    const a = seal(key, "secret");
    const b = seal(key, "secret");
    expect(a).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(a).not.toBe(b);
  });

  it("fails with decrypt_failed when any character of the sealed string changes", () => {
    for (const plaintext of ["", "x", "ab", "abc", "a longer secret value of 33 bytes"]) {
      const sealed = seal(key, plaintext);
      for (let i = 0; i < sealed.length; i++) {
        for (const replacement of [...BASE64URL, ".", "=", " "]) {
          if (replacement === sealed[i]) continue;
          const tampered = sealed.slice(0, i) + replacement + sealed.slice(i + 1);
          expectDecryptFailed(() => open(key, tampered));
        }
      }
    }
  });

  it("fails on truncation, extension and malformed input", () => {
    const sealed = seal(key, "secret");
    for (const bad of [
      "",
      "v1",
      "v1..",
      sealed.slice(0, -1),
      `${sealed}A`,
      `${sealed}.`,
      sealed.replace("v1", "v2"),
      "not.sealed.atall",
    ]) {
      expectDecryptFailed(() => open(key, bad));
    }
  });

  it("fails with a wrong key or a wrong aad", () => {
    const sealed = seal(key, "secret", "worker:7");
    expectDecryptFailed(() => open(randomBytes(32), sealed, "worker:7"));
    expectDecryptFailed(() => open(key, sealed, "worker:8"));
    expectDecryptFailed(() => open(key, sealed));
  });

  it("rejects keys of the wrong length with invalid_key", () => {
    expect(() => seal(Buffer.alloc(16), "x")).toThrow(expect.objectContaining({ code: "invalid_key" }));
  });
});

describe("SecretBox", () => {
  it("seals under the AES key derived from the master secret", () => {
    const master = "a master secret of at least thirty-two bytes";
    const box = new SecretBox(master);
    const sealed = box.seal("envelope key", "worker:1");
    expect(box.openString(sealed, "worker:1")).toBe("envelope key");
    expect(openString(deriveKey(master, PURPOSE_AES), sealed, "worker:1")).toBe("envelope key");
    expect(box.open(sealed, "worker:1").toString()).toBe("envelope key");
    expectDecryptFailed(() => new SecretBox(`${master}!`).open(sealed, "worker:1"));
  });
});
