import { z } from "zod";
import { generateApiKey, hashToken } from "../../crypto/api-key.js";
import { BUILTIN_PLANS } from "../../config/schema.js";
import { deleteInvite, insertInvite, listOpenInvites, type InviteRow } from "../../db/invites.js";
import { findPlan, listPlansWithUserCounts, putPlan, type PlanRow } from "../../db/plans.js";
import {
  countAdmins,
  findUserById,
  listUsersWithAppCounts,
  lockAdminSet,
  updateUserRole,
} from "../../db/users.js";
import { ConflictError, InvalidRequestError, NotFoundError } from "../../errors.js";
import type { UserApiDeps } from "../deps.js";
import { defineRoute, type UserRoute } from "../route.js";
import { emailSchema, idParams, iso, isoDate } from "../schemas.js";
import { userDto, userSchema } from "./user-dto.js";

export const PLAN_NAME_RE = /^[a-z0-9-]{1,32}$/;
const planName = z.string().regex(PLAN_NAME_RE, "must be 1-32 characters of a-z, 0-9 and '-'");
/** Invites live from one hour to 30 days (72 hours unless asked). */
export const INVITE_TTL_HOURS = { min: 1, max: 720, default: 72 } as const;

const limit = (max: number) => z.number().int().positive().max(max);
const planLimitsBody = z.strictObject({
  max_apps: limit(100_000),
  max_cpu_millicores: limit(10_000_000),
  max_memory_mb: limit(1_000_000_000),
});
const planSchema = z.object({
  name: z.string(),
  max_apps: z.number().int(),
  max_cpu_millicores: z.number().int(),
  max_memory_mb: z.number().int(),
  users: z.number().int().optional(),
  configured: z
    .boolean()
    .describe(
      "Built in or in the config file: its limits are re-applied at start-up, edit the config to keep a change",
    ),
  updated_at: isoDate,
});
const adminUserSchema = userSchema.extend({ apps: z.number().int() });
const inviteSchema = z.object({
  id: z.number().int(),
  email: z.string().nullable(),
  plan: z.string().nullable(),
  created_by: z.number().int().nullable(),
  created_at: isoDate,
  expires_at: isoDate,
});

function inviteDto(i: InviteRow) {
  return {
    id: i.id,
    email: i.email,
    plan: i.plan_name,
    created_by: i.created_by,
    created_at: iso(i.created_at),
    expires_at: iso(i.expires_at),
  };
}

/** Plans, users' plans and admin flags, and sign-up invites (access admin). */
export function adminAccountRoutes(deps: UserApiDeps): UserRoute[] {
  const { db } = deps;
  const configured = (name: string) => name in BUILTIN_PLANS || name in deps.config.plans;
  const planDto = (p: PlanRow & { users?: number }) => ({
    name: p.name,
    max_apps: p.max_apps,
    max_cpu_millicores: p.max_cpu_millicores,
    max_memory_mb: p.max_memory_mb,
    ...(p.users === undefined ? {} : { users: p.users }),
    configured: configured(p.name),
    updated_at: iso(p.updated_at),
  });
  const requirePlan = async (name: string) => {
    if (!(await findPlan(db, name))) throw new InvalidRequestError(`plan: no plan named ${name}`, "plan");
  };

  return [
    defineRoute({
      method: "GET",
      url: "/admin/plans",
      access: "admin",
      summary: "Every plan with its limits and how many users are on it",
      tags: ["admin"],
      schema: { response: { 200: z.object({ plans: z.array(planSchema) }) } },
      handler: async () => ({ plans: (await listPlansWithUserCounts(db)).map(planDto) }),
    }),
    defineRoute({
      method: "PUT",
      url: "/admin/plans/:name",
      access: "admin",
      summary: "Create a plan or replace its limits (configured plans are re-applied at start-up)",
      tags: ["admin"],
      schema: {
        params: z.object({ name: planName }),
        body: planLimitsBody,
        response: { 200: z.object({ plan: planSchema }) },
      },
      handler: async ({ request, params, body }) => {
        const plan = await putPlan(db, params.name, body);
        request.log.info({ plan: plan.name }, "plan limits set");
        return { plan: planDto(plan) };
      },
    }),
    defineRoute({
      method: "GET",
      url: "/admin/users",
      access: "admin",
      summary: "Every account with its plan, admin flag and app count",
      tags: ["admin"],
      schema: { response: { 200: z.object({ users: z.array(adminUserSchema) }) } },
      handler: async () => ({
        users: (await listUsersWithAppCounts(db)).map((u) => ({ ...userDto(u), apps: u.apps })),
      }),
    }),
    defineRoute({
      method: "PATCH",
      url: "/admin/users/:id",
      access: "admin",
      summary: "Change an account's plan or admin flag (the last administrator cannot be demoted)",
      tags: ["admin"],
      schema: {
        params: idParams,
        body: z.object({ plan: planName.optional(), is_admin: z.boolean().optional() }),
        response: { 200: z.object({ user: userSchema }) },
      },
      handler: async ({ request, principal, params, body }) => {
        // One transaction under the admin-set lock: the last-admin check and the update see the same admins.
        const user = await db.transaction().execute(async (trx) => {
          await lockAdminSet(trx);
          const target = await findUserById(trx, params.id);
          if (!target) throw new NotFoundError(`user ${params.id} not found`);
          if (body.plan !== undefined && !(await findPlan(trx, body.plan))) {
            throw new InvalidRequestError(`plan: no plan named ${body.plan}`, "plan");
          }
          if (body.is_admin === false && target.is_admin && (await countAdmins(trx)) <= 1) {
            throw new ConflictError("conflict", "this is the last administrator: make another one first");
          }
          const change = {
            ...(body.plan === undefined ? {} : { plan_name: body.plan }),
            ...(body.is_admin === undefined ? {} : { is_admin: body.is_admin }),
          };
          return (await updateUserRole(trx, target.id, change, deps.now())) ?? target;
        });
        request.log.info({ userId: user.id, by: principal.user.id, ...body }, "user changed by admin");
        return { user: userDto(user) };
      },
    }),
    defineRoute({
      method: "POST",
      url: "/admin/invites",
      access: "admin",
      summary: "Invite someone to sign up (single use; the token is shown in this response only)",
      tags: ["admin"],
      status: 201,
      schema: {
        body: z.object({
          email: emailSchema.optional(),
          plan: planName.optional(),
          ttl_hours: z
            .number()
            .int()
            .min(INVITE_TTL_HOURS.min)
            .max(INVITE_TTL_HOURS.max)
            .default(INVITE_TTL_HOURS.default),
        }),
        response: {
          201: inviteSchema.extend({
            token: z.string().describe("Shown once: pass it as invite_token to POST /auth/signup"),
          }),
        },
      },
      handler: async ({ request, principal, body }) => {
        if (body.plan !== undefined) await requirePlan(body.plan);
        const token = generateApiKey();
        const row = await insertInvite(db, {
          token_hash: hashToken(token),
          email: body.email ?? null,
          plan_name: body.plan ?? null,
          created_by: principal.user.id,
          expires_at: new Date(deps.now().getTime() + body.ttl_hours * 3600_000),
        });
        request.log.info({ inviteId: row.id, by: principal.user.id }, "invite created");
        return { ...inviteDto(row), token };
      },
    }),
    defineRoute({
      method: "GET",
      url: "/admin/invites",
      access: "admin",
      summary: "Invites not yet used and not expired (never their tokens)",
      tags: ["admin"],
      schema: { response: { 200: z.object({ invites: z.array(inviteSchema) }) } },
      handler: async () => ({ invites: (await listOpenInvites(db, deps.now())).map(inviteDto) }),
    }),
    defineRoute({
      method: "DELETE",
      url: "/admin/invites/:id",
      access: "admin",
      summary: "Withdraw an unused invite",
      tags: ["admin"],
      status: 204,
      schema: { params: idParams },
      handler: async ({ params }) => {
        if (!(await deleteInvite(db, params.id))) throw new NotFoundError(`invite ${params.id} not found`);
      },
    }),
  ];
}
