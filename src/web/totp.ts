import { Secret, TOTP } from "otpauth";

/** RFC 6238 parameters (the issue's): 30 s steps, 6 digits, SHA-1, ±1 step accepted. */
export const TOTP_PERIOD_S = 30;
export const TOTP_DIGITS = 6;
export const TOTP_WINDOW = 1;
/** A set-up not confirmed within this long is dropped (the reference's pending TOTPs). */
export const PENDING_TOTP_TTL_MS = 10 * 60 * 1000;
export const TOTP_ISSUER = "wisehosting";

/** A new random 160-bit secret, base32 (what authenticator apps take). */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totp(secretBase32: string, label = "account"): TOTP {
  return new TOTP({
    issuer: TOTP_ISSUER,
    label,
    algorithm: "SHA1",
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_S,
    secret: Secret.fromBase32(secretBase32),
  });
}

/** The otpauth:// URL an authenticator app scans. */
export function totpUri(secretBase32: string, email: string): string {
  return totp(secretBase32, email).toString();
}

/** The code for `nowMs` (tests and the CLI's own checks use it). */
export function totpCode(secretBase32: string, nowMs: number): string {
  return totp(secretBase32).generate({ timestamp: nowMs });
}

/**
 * The time step (floor(unix seconds / 30)) that `code` matches within ±1
 * step of `nowMs`, or null. The caller stores the step and accepts only
 * later ones, so a code works once.
 */
export function matchTotpStep(secretBase32: string, code: string, nowMs: number): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = totp(secretBase32).validate({ token: code, timestamp: nowMs, window: TOTP_WINDOW });
  if (delta === null) return null;
  return Math.floor(nowMs / 1000 / TOTP_PERIOD_S) + delta;
}
