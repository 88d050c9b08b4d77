import { z } from "zod";
import { listActiveSessions, revokeSession } from "../../db/sessions.js";
import { NotFoundError } from "../../errors.js";
import type { UserApiDeps } from "../deps.js";
import { defineRoute, type UserRoute } from "../route.js";
import { idParams, iso, isoDate } from "../schemas.js";

const sessionSchema = z.object({
  id: z.number().int(),
  ip: z.string().nullable(),
  user_agent: z.string().nullable(),
  created_at: isoDate,
  last_used_at: isoDate,
  expires_at: isoDate.nullable(),
  current: z.boolean().describe("The session this request was made with"),
});

/**
 * The caller's signed-in browsers (web sessions; API tokens are under
 * /tokens): list them and sign one out. Never the tokens, only their rows.
 */
export function sessionRoutes(deps: UserApiDeps): UserRoute[] {
  const { db } = deps;
  return [
    defineRoute({
      method: "GET",
      url: "/me/sessions",
      access: "user",
      summary: "The account's active web sessions, most recently used first",
      tags: ["accounts"],
      schema: { response: { 200: z.object({ sessions: z.array(sessionSchema) }) } },
      handler: async ({ principal }) => {
        const rows = await listActiveSessions(db, principal.user.id, deps.now(), "web");
        return {
          sessions: rows.map((s) => ({
            id: s.id,
            ip: s.ip,
            user_agent: s.user_agent,
            created_at: iso(s.created_at),
            last_used_at: iso(s.last_used_at),
            expires_at: iso(s.expires_at),
            current: principal.via === "cookie" && s.id === principal.sessionId,
          })),
        };
      },
    }),
    defineRoute({
      method: "DELETE",
      url: "/me/sessions/:id",
      access: "user",
      summary: "Sign out one of the account's web sessions (another user's is a 404)",
      tags: ["accounts"],
      status: 204,
      schema: { params: idParams },
      handler: async ({ reply, principal, params }) => {
        if (!(await revokeSession(db, principal.user.id, params.id, deps.now(), "web"))) {
          throw new NotFoundError(`session ${params.id} not found`);
        }
        if (principal.via === "cookie" && params.id === principal.sessionId) deps.sessions.clearCookie(reply);
      },
    }),
  ];
}
