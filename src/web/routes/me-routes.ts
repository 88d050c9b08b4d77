import { z } from "zod";
import { deletePendingTotp, findPendingTotp, upsertPendingTotp } from "../../db/pending-totps.js";
import { sumPlanUsage } from "../../db/apps.js";
import { findPlan } from "../../db/plans.js";
import { findUserById, updateUserFields, type UserRow } from "../../db/users.js";
import { ConflictError, InvalidRequestError, UnauthorizedError } from "../../errors.js";
import type { UserApiDeps } from "../deps.js";
import { hashPassword, passwordSchema, verifyPassword } from "../passwords.js";
import { defineRoute, type Principal, type UserRoute } from "../route.js";
import { iso, isoDate } from "../schemas.js";
import { newTotpSecret, PENDING_TOTP_TTL_MS, totpUri } from "../totp.js";
import { consumeTotpCode, totpAad } from "./auth-routes.js";
import { userDto, userSchema } from "./user-dto.js";
import type { FastifyReply, FastifyRequest } from "fastify";

const meResponse = z.object({
  user: userSchema,
  plan: z.object({
    name: z.string(),
    max_apps: z.number(),
    max_cpu_millicores: z.number(),
    max_memory_mb: z.number(),
  }),
  usage: z.object({ apps: z.number(), cpu_millicores: z.number(), memory_mb: z.number() }),
});
const codeBody = z.object({ code: z.string().regex(/^\s*\d{6}\s*$/, "must be the 6-digit code") });

/**
 * After a change to the account's credentials: every other session and
 * token is revoked, and a cookie session gets a new id (the old one is
 * revoked too), so a stolen session does not survive the change.
 */
async function rotateSessions(deps: UserApiDeps, p: Principal, request: FastifyRequest, reply: FastifyReply) {
  await deps.sessions.revokeOthers(p.user.id, p.via === "cookie" ? null : p.sessionId);
  if (p.via === "cookie") {
    const fresh = await deps.sessions.createWebSession(p.user.id, request);
    deps.sessions.setCookie(reply, fresh.token);
  }
}

async function reload(deps: UserApiDeps, id: number): Promise<UserRow> {
  const u = await findUserById(deps.db, id);
  if (!u) throw new UnauthorizedError();
  return u;
}

/** The caller's account: profile, password, two-factor set-up. */
export function meRoutes(deps: UserApiDeps): UserRoute[] {
  const { db, secretBox } = deps;
  return [
    defineRoute({
      method: "GET",
      url: "/me",
      access: "user",
      summary: "The calling account, its plan and what it uses of it",
      tags: ["accounts"],
      schema: { response: { 200: meResponse } },
      handler: async ({ principal }) => {
        const plan = await findPlan(db, principal.user.plan_name);
        return {
          user: userDto(principal.user),
          plan: {
            name: principal.user.plan_name,
            max_apps: plan?.max_apps ?? 0,
            max_cpu_millicores: plan?.max_cpu_millicores ?? 0,
            max_memory_mb: plan?.max_memory_mb ?? 0,
          },
          usage: await sumPlanUsage(db, principal.user.id),
        };
      },
    }),
    defineRoute({
      method: "POST",
      url: "/me/password",
      access: "user",
      summary: "Change the password; every other session and token is revoked",
      tags: ["accounts"],
      status: 204,
      schema: { body: z.object({ current_password: z.string().max(1024), new_password: passwordSchema }) },
      handler: async ({ request, reply, principal, body }) => {
        if (!(await verifyPassword(principal.user.password_hash, body.current_password))) {
          throw new InvalidRequestError("current_password: wrong password", "current_password");
        }
        const hash = await hashPassword(body.new_password);
        await updateUserFields(db, principal.user.id, { password_hash: hash }, deps.now());
        await rotateSessions(deps, principal, request, reply);
      },
    }),
    defineRoute({
      method: "POST",
      url: "/me/totp/setup",
      access: "user",
      summary: "Start two-factor set-up: a new secret and otpauth URL, valid for 10 minutes",
      tags: ["accounts"],
      schema: {
        response: { 200: z.object({ secret: z.string(), otpauth_url: z.string(), expires_at: isoDate }) },
      },
      handler: async ({ principal }) => {
        if (principal.user.totp_enabled) {
          throw new ConflictError(
            "totp_enabled",
            "two-factor authentication is already on: disable it first",
          );
        }
        const secret = newTotpSecret();
        const expiresAt = new Date(deps.now().getTime() + PENDING_TOTP_TTL_MS);
        await upsertPendingTotp(db, {
          user_id: principal.user.id,
          secret_enc: secretBox.seal(secret, totpAad(principal.user.id)),
          expires_at: expiresAt,
        });
        return { secret, otpauth_url: totpUri(secret, principal.user.email), expires_at: iso(expiresAt) };
      },
    }),
    defineRoute({
      method: "POST",
      url: "/me/totp/enable",
      access: "user",
      summary: "Confirm two-factor set-up with a code from the app; other sessions are revoked",
      tags: ["accounts"],
      schema: { body: codeBody, response: { 200: z.object({ user: userSchema }) } },
      handler: async ({ request, reply, principal, body }) => {
        const pending = await findPendingTotp(db, principal.user.id, deps.now());
        if (!pending) {
          throw new ConflictError(
            "totp_setup_expired",
            "no two-factor set-up in progress (or it expired): start again",
          );
        }
        const secret = secretBox.openString(pending.secret_enc, totpAad(principal.user.id));
        if (!(await consumeTotpCode(deps, principal.user, secret, body.code))) {
          throw new InvalidRequestError("code: wrong or already used code", "code");
        }
        await db.transaction().execute(async (trx) => {
          const enabled = { totp_secret_enc: pending.secret_enc, totp_enabled: true };
          await updateUserFields(trx, principal.user.id, enabled, deps.now());
          await deletePendingTotp(trx, principal.user.id);
        });
        await rotateSessions(deps, principal, request, reply);
        return { user: userDto(await reload(deps, principal.user.id)) };
      },
    }),
    defineRoute({
      method: "POST",
      url: "/me/totp/disable",
      access: "user",
      summary: "Turn two-factor authentication off with a current code; other sessions are revoked",
      tags: ["accounts"],
      schema: { body: codeBody, response: { 200: z.object({ user: userSchema }) } },
      handler: async ({ request, reply, principal, body }) => {
        const u = principal.user;
        if (!u.totp_enabled || !u.totp_secret_enc) {
          throw new ConflictError("totp_disabled", "two-factor authentication is not on");
        }
        const secret = secretBox.openString(u.totp_secret_enc, totpAad(u.id));
        if (!(await consumeTotpCode(deps, u, secret, body.code))) {
          throw new InvalidRequestError("code: wrong or already used code", "code");
        }
        await updateUserFields(db, u.id, { totp_enabled: false, totp_secret_enc: null }, deps.now());
        await rotateSessions(deps, principal, request, reply);
        return { user: userDto(await reload(deps, u.id)) };
      },
    }),
  ];
}
