import { sql } from "kysely";
import { z } from "zod";
import { hashToken } from "../../crypto/api-key.js";
import { consumeInvite } from "../../db/invites.js";
import { findPlan } from "../../db/plans.js";
import {
  consumeTotpStep,
  countUsers,
  findUserByEmail,
  insertUser,
  updateUserFields,
  type UserRow,
} from "../../db/users.js";
import {
  AppError,
  ConflictError,
  ForbiddenError,
  InvalidRequestError,
  UnauthorizedError,
} from "../../errors.js";
import type { UserApiDeps } from "../deps.js";
import { hashPassword, passwordSchema, verifyPassword } from "../passwords.js";
import { defineRoute, type UserRoute } from "../route.js";
import { emailSchema, errorResponse } from "../schemas.js";
import { matchTotpStep } from "../totp.js";
import { userDto, userSchema } from "./user-dto.js";

const signupBody = z.object({
  email: emailSchema,
  password: passwordSchema,
  invite_token: z
    .string()
    .regex(/^[0-9a-f]{64}$/, "must be the invite's 64 hex characters")
    .optional(),
});
const loginBody = z.object({
  email: z.string().max(254),
  password: z.string().max(1024),
  totp_code: z.string().max(16).optional(),
});
const sessionResponse = z.object({ user: userSchema });
const signupModeResponse = z.object({
  /** first: no account yet (the next sign-up becomes admin); open: anyone may sign up; invite: an invite is needed. */
  mode: z.enum(["first", "open", "invite"]),
});

/** Thrown when the password was right but the account needs its second factor (401 totp_required). */
export class TotpRequiredError extends AppError {
  constructor() {
    super("totp_required", "this account has two-factor authentication: send totp_code");
  }
}

/**
 * Checks a TOTP code for the user and consumes its time step (one
 * conditional UPDATE), so the same code cannot be used twice, even by two
 * concurrent requests. False for a wrong, stale or reused code.
 */
export async function consumeTotpCode(
  deps: UserApiDeps,
  user: UserRow,
  secretBase32: string,
  code: string,
): Promise<boolean> {
  const step = matchTotpStep(secretBase32, code.trim(), deps.now().getTime());
  if (step === null) return false;
  return consumeTotpStep(deps.db, user.id, step);
}

export function totpAad(userId: number): string {
  return `user-totp:${userId}`;
}

/** Sign-up, log-in and log-out (sessions in an HttpOnly cookie). */
export function authRoutes(deps: UserApiDeps): UserRoute[] {
  const { db, sessions, limiter } = deps;
  return [
    defineRoute({
      method: "GET",
      url: "/auth/signup-mode",
      access: "anonymous",
      summary: "How sign-up works here: the first account, open sign-up, or by invitation",
      tags: ["accounts"],
      schema: { response: { 200: signupModeResponse } },
      handler: async () => {
        if ((await countUsers(db)) === 0) return { mode: "first" as const };
        return { mode: deps.config.auth.open_signup ? ("open" as const) : ("invite" as const) };
      },
    }),
    defineRoute({
      method: "POST",
      url: "/auth/signup",
      access: "anonymous",
      summary: "Create an account (the first one becomes admin) and sign in",
      tags: ["accounts"],
      status: 201,
      schema: { body: signupBody, response: { 201: sessionResponse, 403: errorResponse } },
      handler: async ({ request, reply, body }) => {
        const passwordHash = await hashPassword(body.password);
        // Serialized by an advisory lock so two first sign-ups cannot both become admin.
        const user = await db.transaction().execute(async (trx) => {
          await sql`SELECT pg_advisory_xact_lock(hashtext('wisehosting.signup'))`.execute(trx);
          const first = (await countUsers(trx)) === 0;
          if (!first && !body.invite_token && !deps.config.auth.open_signup) {
            throw new ForbiddenError("sign-up is by invitation: ask an administrator for an invite");
          }
          if (await findUserByEmail(trx, body.email)) {
            throw new ConflictError("email_taken", "an account with this email exists: log in instead");
          }
          const plan = deps.config.auth.default_plan;
          if (!(await findPlan(trx, plan))) throw new Error(`default plan ${plan} is missing`);
          const created = await insertUser(trx, {
            email: body.email,
            password_hash: passwordHash,
            is_admin: first,
            plan_name: plan,
          });
          if (!first && body.invite_token) {
            const invite = await consumeInvite(
              trx,
              hashToken(body.invite_token),
              body.email,
              deps.now(),
              created.id,
            );
            if (!invite)
              throw new InvalidRequestError("invite_token: invalid, used or expired", "invite_token");
            if (invite.plan_name) {
              await updateUserFields(trx, created.id, { plan_name: invite.plan_name }, deps.now());
              created.plan_name = invite.plan_name;
            }
          }
          return created;
        });
        const session = await sessions.createWebSession(user.id, request);
        sessions.setCookie(reply, session.token);
        request.log.info({ userId: user.id, admin: user.is_admin }, "account created");
        return { user: userDto(user) };
      },
    }),
    defineRoute({
      method: "POST",
      url: "/auth/login",
      access: "anonymous",
      summary: "Sign in with email, password and (when 2FA is on) a TOTP code",
      tags: ["accounts"],
      schema: { body: loginBody, response: { 200: sessionResponse, 401: errorResponse, 429: errorResponse } },
      handler: async ({ request, reply, body }) => {
        const email = body.email.trim().toLowerCase();
        limiter.check(email, request.ip);
        const user = await findUserByEmail(db, email);
        const ok = await verifyPassword(user?.password_hash, body.password);
        if (!user || !ok) {
          limiter.recordFailure(email, request.ip);
          throw new UnauthorizedError("wrong email or password");
        }
        if (user.totp_enabled) {
          if (!body.totp_code) throw new TotpRequiredError();
          const secret = deps.secretBox.openString(user.totp_secret_enc ?? "", totpAad(user.id));
          if (!(await consumeTotpCode(deps, user, secret, body.totp_code))) {
            limiter.recordFailure(email, request.ip);
            throw new UnauthorizedError("wrong or already used two-factor code");
          }
        }
        limiter.recordSuccess(email);
        // Always a new session id at log-in: a token planted before log-in is never promoted.
        const session = await sessions.createWebSession(user.id, request);
        sessions.setCookie(reply, session.token);
        return { user: userDto(user) };
      },
    }),
    defineRoute({
      method: "POST",
      url: "/auth/logout",
      access: "user",
      summary: "End the calling session (or revoke the calling API token)",
      tags: ["accounts"],
      status: 204,
      schema: {},
      handler: async ({ reply, principal }) => {
        await sessions.revoke(principal.user.id, principal.sessionId);
        if (principal.via === "cookie") sessions.clearCookie(reply);
      },
    }),
  ];
}
