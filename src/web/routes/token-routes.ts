import { z } from "zod";
import { listActiveSessions, revokeSession } from "../../db/sessions.js";
import { NotFoundError } from "../../errors.js";
import type { UserApiDeps } from "../deps.js";
import { defineRoute, type UserRoute } from "../route.js";
import { idParams, iso, isoDate } from "../schemas.js";

const tokenSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  created_at: isoDate,
  last_used_at: isoDate,
  expires_at: isoDate.nullable(),
});
const createdToken = tokenSchema.extend({
  token: z.string().describe("Shown once: only its hash is stored"),
});

/** API tokens for the CLI and scripts: `Authorization: Bearer wh_...`. */
export function tokenRoutes(deps: UserApiDeps): UserRoute[] {
  const { db } = deps;
  return [
    defineRoute({
      method: "POST",
      url: "/tokens",
      access: "user",
      summary: "Create an API token (the token is shown in this response only)",
      tags: ["tokens"],
      status: 201,
      schema: {
        body: z.object({
          name: z
            .string()
            .trim()
            .min(1)
            .max(64)
            .regex(/^[\x20-\x7e]+$/, "must be printable ASCII"),
          expires_in_days: z.number().int().min(1).max(3650).optional(),
        }),
        response: { 201: createdToken },
      },
      handler: async ({ principal, body }) => {
        const expiresAt =
          body.expires_in_days === undefined
            ? null
            : new Date(deps.now().getTime() + body.expires_in_days * 86_400_000);
        const { row, token } = await deps.sessions.createApiToken(principal.user.id, body.name, expiresAt);
        return {
          id: row.id,
          name: row.name ?? "",
          created_at: iso(row.created_at),
          last_used_at: iso(row.last_used_at),
          expires_at: iso(row.expires_at),
          token,
        };
      },
    }),
    defineRoute({
      method: "GET",
      url: "/tokens",
      access: "user",
      summary: "The account's API tokens (never the tokens themselves)",
      tags: ["tokens"],
      schema: { response: { 200: z.object({ tokens: z.array(tokenSchema) }) } },
      handler: async ({ principal }) => {
        const rows = await listActiveSessions(db, principal.user.id, deps.now(), "api");
        return {
          tokens: rows.map((r) => ({
            id: r.id,
            name: r.name ?? "",
            created_at: iso(r.created_at),
            last_used_at: iso(r.last_used_at),
            expires_at: iso(r.expires_at),
          })),
        };
      },
    }),
    defineRoute({
      method: "DELETE",
      url: "/tokens/:id",
      access: "user",
      summary: "Revoke one of the account's API tokens",
      tags: ["tokens"],
      status: 204,
      schema: { params: idParams },
      handler: async ({ principal, params }) => {
        if (!(await revokeSession(db, principal.user.id, params.id, deps.now(), "api"))) {
          throw new NotFoundError(`token ${params.id} not found`);
        }
      },
    }),
  ];
}
