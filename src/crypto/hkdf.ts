import { hkdfSync } from "node:crypto";

/**
 * The closed set of HKDF `info` labels. Every key the system derives uses
 * exactly one of these, and each label is used for exactly one kind of key,
 * so a key derived for one purpose can never be valid for another (a leaked
 * envelope key is not a JWT key, and so on). Adding a purpose means adding a
 * new label here, never reusing one.
 */
export const PURPOSE_WORKER_JWT = "wisehosting-worker-jwt-v1";
export const PURPOSE_ENVELOPE = "wisehosting-envelope-v1";
export const PURPOSE_AES = "wisehosting-aes-v1";

export const PURPOSES = [PURPOSE_WORKER_JWT, PURPOSE_ENVELOPE, PURPOSE_AES] as const;

export type Purpose = (typeof PURPOSES)[number];

/**
 * HKDF-SHA256 with an empty salt and `info` = the purpose label (worker
 * protocol §1). A string `ikm` is taken as its UTF-8 bytes. Deterministic:
 * the same inputs always give the same key.
 */
export function deriveKey(ikm: string | Buffer, purpose: Purpose, length = 32): Buffer {
  const material = typeof ikm === "string" ? Buffer.from(ikm, "utf8") : ikm;
  return Buffer.from(hkdfSync("sha256", material, Buffer.alloc(0), Buffer.from(purpose, "utf8"), length));
}
