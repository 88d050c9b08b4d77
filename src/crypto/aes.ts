import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

import { CryptoError } from "./crypto-error.js";
import { deriveKey, PURPOSE_AES } from "./hkdf.js";

export { CryptoError } from "./crypto-error.js";

/**
 * AES-256-GCM with a random 96-bit nonce and a 128-bit tag.
 *
 * Sealed format (ASCII, self-describing, safe in JSON, SQL text and URLs):
 *   `v1.<base64url(nonce, 12 bytes)>.<base64url(ciphertext || tag)>`
 * base64url is unpadded and must be canonical: a string that decodes to the
 * same bytes but is not what we would have written is rejected, so changing
 * any character of a sealed string makes `open` fail.
 *
 * The optional `aad` (additional authenticated data, UTF-8) binds a
 * ciphertext to its context, e.g. `worker:7`: opening it with a different
 * `aad` fails. No `aad` and an empty `aad` are the same thing.
 */

const VERSION = "v1";
const ALGORITHM = "aes-256-gcm";
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

function checkKey(key: Buffer): void {
  if (key.length !== KEY_BYTES) {
    throw new CryptoError("invalid_key", `AES-256-GCM key must be ${KEY_BYTES} bytes, got ${key.length}`);
  }
}

/** Encrypts and authenticates `plaintext` (a string is taken as UTF-8). */
export function seal(key: Buffer, plaintext: string | Buffer, aad?: string): string {
  checkKey(key);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES });
  if (aad !== undefined) cipher.setAAD(Buffer.from(aad, "utf8"));
  const data = typeof plaintext === "string" ? Buffer.from(plaintext, "utf8") : plaintext;
  const body = Buffer.concat([cipher.update(data), cipher.final(), cipher.getAuthTag()]);
  return `${VERSION}.${nonce.toString("base64url")}.${body.toString("base64url")}`;
}

function decodeCanonical(text: string): Buffer | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const bytes = Buffer.from(text, "base64url");
  return bytes.toString("base64url") === text ? bytes : null;
}

/**
 * Returns the plaintext of a string made by `seal` with the same key and
 * `aad`. Throws `CryptoError("decrypt_failed")` for anything else: tampered,
 * truncated or malformed input, a wrong key or a wrong `aad`.
 */
export function open(key: Buffer, sealed: string, aad?: string): Buffer {
  checkKey(key);
  const fail = (): CryptoError => new CryptoError("decrypt_failed", "cannot decrypt sealed value");
  const parts = sealed.split(".");
  if (parts.length !== 3 || parts[0] !== VERSION) throw fail();
  const nonce = decodeCanonical(parts[1] ?? "");
  const body = decodeCanonical(parts[2] ?? "");
  if (nonce === null || body === null || nonce.length !== NONCE_BYTES || body.length < TAG_BYTES) {
    throw fail();
  }
  try {
    const decipher = createDecipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES });
    if (aad !== undefined) decipher.setAAD(Buffer.from(aad, "utf8"));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw fail();
  }
}

/** `open`, decoded as UTF-8. */
export function openString(key: Buffer, sealed: string, aad?: string): string {
  return open(key, sealed, aad).toString("utf8");
}

/**
 * Seals secrets at rest (e.g. a worker's envelope key) under the AES key
 * derived from the master secret with `PURPOSE_AES`. Build one in the
 * composition root and inject it; it holds no other state.
 */
export class SecretBox {
  readonly #key: Buffer;

  constructor(masterSecret: string | Buffer) {
    this.#key = deriveKey(masterSecret, PURPOSE_AES);
  }

  seal(plaintext: string | Buffer, aad?: string): string {
    return seal(this.#key, plaintext, aad);
  }

  open(sealed: string, aad?: string): Buffer {
    return open(this.#key, sealed, aad);
  }

  openString(sealed: string, aad?: string): string {
    return openString(this.#key, sealed, aad);
  }
}
