import { createHash, timingSafeEqual } from "node:crypto";

function digest(value: string | Buffer): Buffer {
  return createHash("sha256")
    .update(typeof value === "string" ? Buffer.from(value, "utf8") : value)
    .digest();
}

/**
 * True when `a` and `b` hold the same bytes (strings as UTF-8). Never throws,
 * whatever the lengths: both sides are hashed to 32 bytes and the digests are
 * compared with `timingSafeEqual`, so the time taken does not depend on where
 * the inputs first differ; only then are the lengths required to match.
 */
export function constantTimeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const bytesA = typeof a === "string" ? Buffer.from(a, "utf8") : a;
  const bytesB = typeof b === "string" ? Buffer.from(b, "utf8") : b;
  const sameDigest = timingSafeEqual(digest(bytesA), digest(bytesB));
  return sameDigest && bytesA.length === bytesB.length;
}
