import { createHash, randomBytes } from "node:crypto";

import { deriveKey, PURPOSE_ENVELOPE } from "./hkdf.js";

/** A source of random bytes; injectable so tests can pin values. */
export type RandomBytes = (size: number) => Buffer;

/** An API key or join token: 32 random bytes as 64 lowercase hex characters. */
export const API_KEY_PATTERN = /^[0-9a-f]{64}$/;

/** `bytes` random bytes as lowercase hex (2 × `bytes` characters). */
export function randomHex(bytes: number, random: RandomBytes = randomBytes): string {
  return random(bytes).toString("hex");
}

/** A fresh worker API key (also the format of join tokens). */
export function generateApiKey(random: RandomBytes = randomBytes): string {
  return randomHex(32, random);
}

/**
 * Lowercase hex SHA-256 of the UTF-8 bytes of `key`: the `api_key_hash`
 * stored in the database and carried as the JWT `key_hash` claim.
 */
export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** Join tokens (and any other bearer secret) are stored the same way. */
export const hashToken = hashApiKey;

/**
 * The key that signs and verifies envelopes for the worker holding `apiKey`:
 * HKDF-SHA256(UTF-8 bytes of the key, empty salt, PURPOSE_ENVELOPE, 32).
 * Deliberately not derived from `api_key_hash` (worker protocol §1).
 */
export function envelopeKey(apiKey: string): Buffer {
  return deriveKey(apiKey, PURPOSE_ENVELOPE);
}
