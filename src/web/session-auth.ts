import type { FastifyReply, FastifyRequest } from "fastify";
import type { Kysely } from "kysely";
import { generateApiKey, hashToken } from "../crypto/api-key.js";
import {
  findActiveSessionByTokenHash,
  insertSession,
  revokeOtherSessions,
  revokeSession,
  touchSession,
  type SessionRow,
} from "../db/sessions.js";
import type { DB } from "../db/schema.js";
import { findUserById } from "../db/users.js";
import { extractBearer } from "../api/worker-auth.js";
import type { Principal } from "./route.js";

/** The cookie that carries a web session's token. */
export const SESSION_COOKIE = "wh_session";
/** A web session ends after this long without use (sliding expiry). */
export const SESSION_IDLE_TTL_MS = 14 * 24 * 3600 * 1000;
/** last_used_at / expires_at are written at most this often per session, not on every request. */
export const SESSION_TOUCH_INTERVAL_MS = 60 * 1000;
/** API tokens start with this, so secret scanners and people can tell them apart. */
export const API_TOKEN_PREFIX = "wh_";

const TOKEN_RE = /^(?:wh_)?[0-9a-f]{64}$/;

export interface SessionAuthOptions {
  db: Kysely<DB>;
  now: () => Date;
  /** Adds `Secure` to the cookie (the server speaks TLS or sits behind an HTTPS public URL). */
  secureCookies: boolean;
}

export interface IssuedSession {
  row: SessionRow;
  /** The raw token: set as the cookie or shown once; only its hash is stored. */
  token: string;
}

/** Reads one cookie from a Cookie header without a dependency (RFC 6265 §5.4 pairs). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Sessions and API tokens of the user API. Both are rows of `sessions`
 * (kind web / api) holding only the SHA-256 of a random 256-bit token.
 * Resolution fails closed: a malformed, unknown, expired or revoked token, or
 * one whose user is gone, yields undefined and never throws for bad input.
 */
export class SessionAuth {
  constructor(private readonly opts: SessionAuthOptions) {}

  /** Creates a web session for the user (log-in, sign-up, after 2FA changes). */
  async createWebSession(userId: number, request: FastifyRequest): Promise<IssuedSession> {
    const token = generateApiKey();
    const now = this.opts.now();
    const row = await insertSession(this.opts.db, {
      user_id: userId,
      kind: "web",
      token_hash: hashToken(token),
      ip: request.ip,
      user_agent: (request.headers["user-agent"] ?? "").slice(0, 256) || null,
      last_used_at: now,
      expires_at: new Date(now.getTime() + SESSION_IDLE_TTL_MS),
    });
    return { row, token };
  }

  /** Creates a named API token (no expiry unless `expiresAt`); the raw token is returned once. */
  async createApiToken(userId: number, name: string, expiresAt: Date | null): Promise<IssuedSession> {
    const token = API_TOKEN_PREFIX + generateApiKey();
    const row = await insertSession(this.opts.db, {
      user_id: userId,
      kind: "api",
      name,
      token_hash: hashToken(token),
      last_used_at: this.opts.now(),
      expires_at: expiresAt,
    });
    return { row, token };
  }

  /**
   * The caller, from `Authorization: Bearer` (API tokens) or else the session
   * cookie. A bearer header that does not resolve is not retried with the
   * cookie: a wrong credential is an error, not a fallback.
   */
  async resolve(request: FastifyRequest): Promise<Principal | undefined> {
    const header = request.headers.authorization;
    const bearer = header !== undefined ? extractBearer(header) : "";
    if (header !== undefined) return bearer ? this.#lookup(bearer, "token", "api") : undefined;
    const cookie = readCookie(request.headers.cookie, SESSION_COOKIE);
    return cookie ? this.#lookup(cookie, "cookie", "web") : undefined;
  }

  async #lookup(
    token: string,
    via: Principal["via"],
    kind: SessionRow["kind"],
  ): Promise<Principal | undefined> {
    if (!TOKEN_RE.test(token)) return undefined;
    const now = this.opts.now();
    const row = await findActiveSessionByTokenHash(this.opts.db, hashToken(token), now);
    if (row?.kind !== kind) return undefined;
    const user = await findUserById(this.opts.db, row.user_id);
    if (!user) return undefined;
    if (now.getTime() - row.last_used_at.getTime() >= SESSION_TOUCH_INTERVAL_MS) {
      // Sliding expiry: web sessions move their end forward; API tokens keep theirs.
      await touchSession(
        this.opts.db,
        row.id,
        now,
        row.kind === "web" ? new Date(now.getTime() + SESSION_IDLE_TTL_MS) : undefined,
      );
    }
    return { user, sessionId: row.id, via };
  }

  revoke(userId: number, sessionId: number): Promise<boolean> {
    return revokeSession(this.opts.db, userId, sessionId, this.opts.now());
  }

  /** Revokes every session and token of the user except `keep` (password and 2FA changes). */
  revokeOthers(userId: number, keep: number | null): Promise<number> {
    return revokeOtherSessions(this.opts.db, userId, keep, this.opts.now());
  }

  setCookie(reply: FastifyReply, token: string): void {
    const maxAge = Math.floor(SESSION_IDLE_TTL_MS / 1000);
    reply.header("set-cookie", this.#cookie(`${SESSION_COOKIE}=${token}; Max-Age=${maxAge}`));
  }

  clearCookie(reply: FastifyReply): void {
    reply.header("set-cookie", this.#cookie(`${SESSION_COOKIE}=; Max-Age=0`));
  }

  #cookie(base: string): string {
    return `${base}; Path=/; HttpOnly; SameSite=Lax${this.opts.secureCookies ? "; Secure" : ""}`;
  }
}
