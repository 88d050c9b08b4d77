import { randomBytes } from "node:crypto";
import { jwtVerify, SignJWT } from "jose";
import { deriveKey, PURPOSE_WORKER_JWT } from "../crypto/hkdf.js";

/** Lifetime of a worker JWT (worker protocol §1). */
export const WORKER_JWT_TTL_S = 15 * 60;
/** Workers refresh this long before expiry. */
export const WORKER_JWT_REFRESH_SKEW_S = 2 * 60;

export interface WorkerJwtClaims {
  workerId: number;
  /** The worker's api_key_hash when the token was minted. */
  keyHash: string;
  iat: number;
  exp: number;
  jti: string;
}

export interface WorkerJwtOptions {
  masterSecret: string;
  /** Milliseconds since the epoch. */
  now?: () => number;
  random?: (n: number) => Buffer;
}

const KEY_HASH_RE = /^[0-9a-f]{64}$/;
const SUB_RE = /^[1-9][0-9]{0,9}$/;

/**
 * Mints and checks worker JWTs: HS256 with a key derived from the master
 * secret under its own HKDF label, claims `sub`, `key_hash`, `iat`, `exp`
 * (iat + 900), `jti` (12 random bytes, base64url). `verify` checks only the
 * token itself (signature, `alg` exactly HS256, `now < exp`, claim shapes);
 * the caller must still check that the worker exists and that `key_hash`
 * equals its current api_key_hash.
 */
export class WorkerJwt {
  readonly #key: Buffer;
  readonly #now: () => number;
  readonly #random: (n: number) => Buffer;

  constructor(opts: WorkerJwtOptions) {
    this.#key = deriveKey(opts.masterSecret, PURPOSE_WORKER_JWT);
    this.#now = opts.now ?? Date.now;
    this.#random = opts.random ?? randomBytes;
  }

  async sign(workerId: number, apiKeyHash: string): Promise<{ token: string; expiresAt: Date }> {
    const iat = Math.floor(this.#now() / 1000);
    const exp = iat + WORKER_JWT_TTL_S;
    const token = await new SignJWT({ key_hash: apiKeyHash })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject(String(workerId))
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(this.#random(12).toString("base64url"))
      .sign(this.#key);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  /** The claims of a valid token, or null for anything else (never throws). */
  async verify(token: string): Promise<WorkerJwtClaims | null> {
    try {
      const { payload, protectedHeader } = await jwtVerify(token, this.#key, {
        algorithms: ["HS256"],
        currentDate: new Date(this.#now()),
        requiredClaims: ["sub", "iat", "exp", "jti"],
      });
      if (protectedHeader.alg !== "HS256") return null;
      const { sub, key_hash: keyHash, iat, exp, jti } = payload;
      if (typeof sub !== "string" || !SUB_RE.test(sub)) return null;
      if (typeof keyHash !== "string" || !KEY_HASH_RE.test(keyHash)) return null;
      if (!Number.isInteger(iat) || !Number.isInteger(exp) || typeof jti !== "string") return null;
      if (Math.floor(this.#now() / 1000) >= (exp as number)) return null;
      return { workerId: Number(sub), keyHash, iat: iat as number, exp: exp as number, jti };
    } catch {
      // jose throws for every malformed, forged, expired or wrong-algorithm token.
      return null;
    }
  }
}

/** A JWT has three dot-separated segments; a raw API key has none. */
export function looksLikeJwt(token: string): boolean {
  return token.split(".").length === 3;
}
