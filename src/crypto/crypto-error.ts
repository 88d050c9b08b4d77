/**
 * Codes a crypto operation can fail with. `decrypt_failed` deliberately
 * covers tampering, a wrong key and malformed input alike, so a caller (or an
 * attacker watching responses) learns nothing about which one it was.
 * `invalid_key` is a programming error: a key of the wrong length.
 */
export type CryptoErrorCode = "decrypt_failed" | "invalid_key";

export class CryptoError extends Error {
  override readonly name = "CryptoError";

  constructor(
    readonly code: CryptoErrorCode,
    message: string,
  ) {
    super(message);
  }
}
