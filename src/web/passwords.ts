import { hash, verify } from "@node-rs/argon2";
import { z } from "zod";

/** Shortest password accepted. */
export const PASSWORD_MIN_LENGTH = 10;
/** Longest password accepted: argon2 hashes all of it, so an unbounded one is a CPU lever. */
export const PASSWORD_MAX_LENGTH = 256;

export const passwordSchema = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `must be at least ${PASSWORD_MIN_LENGTH} characters`)
  .max(PASSWORD_MAX_LENGTH, `must be at most ${PASSWORD_MAX_LENGTH} characters`);

/** argon2id with the library's defaults (m=19 MiB, t=2, p=1: OWASP's minimum profile). */
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

/**
 * A verification that always costs one argon2 run, also for unknown
 * accounts (against a fixed hash), so response time does not tell which
 * emails exist. False for a malformed stored hash.
 */
export async function verifyPassword(storedHash: string | undefined, password: string): Promise<boolean> {
  try {
    const ok = await verify(storedHash ?? (await dummyHash()), password);
    return storedHash !== undefined && ok;
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;
function dummyHash(): Promise<string> {
  return (dummy ??= hash("wisehosting-no-such-account"));
}
