import crypto, { createHash, createHmac, createSecretKey, type KeyObject } from "node:crypto";

/** SHA-256 block size: the HMAC pads are one block each (RFC 2104). */
const BLOCK = 64;
const DIGEST = 32;
/**
 * Messages of at most this many UTF-16 code units are written into the
 * shared scratch buffer (at most 3 UTF-8 bytes each); longer ones, rare on
 * the hub, go through createHmac.
 */
const SCRATCH_CHARS = 16 * 1024;

/** `crypto.hash` (one-shot digest, Node ≥ 20.12), when the runtime has it. */
const oneShot = (crypto as { hash?: (alg: string, data: Uint8Array, enc: string) => Buffer | string }).hash;

/**
 * Shared by every key: [inner pad | message] and [outer pad | inner digest].
 * Safe to share because a MAC is computed synchronously, start to end.
 */
const innerScratch = Buffer.allocUnsafeSlow(BLOCK + 3 * SCRATCH_CHARS);
const outerScratch = Buffer.allocUnsafeSlow(BLOCK + DIGEST);

/**
 * An HMAC-SHA256 key prepared once, for many MACs under it (one worker
 * connection's envelopes).
 *
 * Contract: `hex(head, body)` equals
 * `createHmac("sha256", key).update(head + body, "utf8").digest("hex")` for
 * every key and strings (keys longer than a block are hashed first, as RFC
 * 2104 says). It is computed as SHA-256(opad ‖ SHA-256(ipad ‖ message))
 * with two one-shot `crypto.hash` calls over pads derived at construction,
 * which skips building an Hmac object per message (about a fifth of the cost
 * of a 1 KiB envelope's MAC), and the two parts are written one after the
 * other, never concatenated. Without `crypto.hash`, for messages over
 * SCRATCH_CHARS, or when `head` ends in a high surrogate (its pair would be
 * split), it falls back to createHmac over `head + body`.
 */
export class HmacSha256Key {
  /** ipad (64 bytes) then opad (64 bytes). */
  readonly #pads: Buffer;
  readonly #key: KeyObject;

  constructor(key: Buffer) {
    this.#key = createSecretKey(key);
    const block = Buffer.alloc(BLOCK);
    (key.length > BLOCK ? createHash("sha256").update(key).digest() : key).copy(block);
    this.#pads = Buffer.alloc(2 * BLOCK);
    for (let i = 0; i < BLOCK; i++) {
      this.#pads[i] = (block[i] ?? 0) ^ 0x36;
      this.#pads[BLOCK + i] = (block[i] ?? 0) ^ 0x5c;
    }
    block.fill(0);
  }

  /** Lowercase hex HMAC-SHA256 of `head + body` as UTF-8. */
  hex(head: string, body = ""): string {
    if (!oneShot || head.length + body.length > SCRATCH_CHARS || endsInHighSurrogate(head)) {
      return createHmac("sha256", this.#key)
        .update(head + body, "utf8")
        .digest("hex");
    }
    this.#pads.copy(innerScratch, 0, 0, BLOCK);
    let length = BLOCK + innerScratch.write(head, BLOCK, "utf8");
    length += innerScratch.write(body, length, "utf8");
    const inner = oneShot("sha256", innerScratch.subarray(0, length), "buffer") as Buffer;
    this.#pads.copy(outerScratch, 0, BLOCK, 2 * BLOCK);
    inner.copy(outerScratch, BLOCK);
    return oneShot("sha256", outerScratch, "hex") as string;
  }
}

function endsInHighSurrogate(text: string): boolean {
  const last = text.charCodeAt(text.length - 1);
  return last >= 0xd800 && last <= 0xdbff;
}
