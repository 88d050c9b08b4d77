import { z } from "zod";
import { generateApiKey, hashToken } from "../../crypto/api-key.js";
import { countAppsByStatus } from "../../db/apps.js";
import { insertJoinToken } from "../../db/join-tokens.js";
import { countAdmins, countUsers } from "../../db/users.js";
import { getWorkerStats, listWorkers, publicWorker } from "../../db/workers.js";
import type { UserApiDeps } from "../deps.js";
import { defineRoute, type UserRoute } from "../route.js";
import { iso, isoDate } from "../schemas.js";
import { adminAccountRoutes } from "./admin-account-routes.js";

/** Join tokens live from one minute to one week. */
export const JOIN_TOKEN_TTL_S = { min: 60, max: 7 * 24 * 3600, default: 3600 } as const;

const workerSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  zone: z.string(),
  status: z.enum(["online", "offline"]),
  wireguard_ip: z.string().nullable(),
  public_ip: z.string().nullable(),
  cpu_millicores: z.number().int(),
  memory_mb: z.number().int(),
  used_cpu_millicores: z.number().int(),
  used_memory_mb: z.number().int(),
  running_apps: z.number().int(),
  agent_version: z.string().nullable(),
  last_heartbeat: isoDate.nullable(),
});

const statsSchema = z.object({
  workers: z.object({ total: z.number(), online: z.number(), offline: z.number() }),
  capacity: z.object({
    cpu_millicores_total: z.number(),
    cpu_millicores_used: z.number(),
    memory_mb_total: z.number(),
    memory_mb_used: z.number(),
  }),
  apps: z.object({
    total: z.number(),
    by_status: z.record(z.string(), z.number()).describe("App count per status (deleted apps excluded)"),
  }),
  users: z.object({ total: z.number(), admins: z.number() }),
});

/**
 * The operator's routes (access admin): the worker fleet, join tokens for
 * new workers, fleet statistics, and (admin-account-routes.ts) plans,
 * users and invites.
 */
export function adminRoutes(deps: UserApiDeps): UserRoute[] {
  const { db } = deps;
  return [
    defineRoute({
      method: "GET",
      url: "/admin/workers",
      access: "admin",
      summary: "Every worker with its status, zone, capacity and last heartbeat",
      tags: ["admin"],
      schema: { response: { 200: z.object({ workers: z.array(workerSchema) }) } },
      // publicWorker never carries the key hash or the sealed envelope key; the schema would drop them anyway.
      handler: async () => ({ workers: (await listWorkers(db)).map(publicWorker) }),
    }),
    defineRoute({
      method: "POST",
      url: "/admin/join-tokens",
      access: "admin",
      summary: "Create a single-use token that registers one new worker (shown in this response only)",
      tags: ["admin"],
      status: 201,
      schema: {
        body: z.object({
          ttl_s: z
            .number()
            .int()
            .min(JOIN_TOKEN_TTL_S.min)
            .max(JOIN_TOKEN_TTL_S.max)
            .default(JOIN_TOKEN_TTL_S.default),
        }),
        response: {
          201: z.object({
            token: z.string().describe("Shown once: only its hash is stored"),
            expires_at: isoDate,
            command: z.string().describe("What to run on the new machine"),
            server: z.string().describe("The control plane's public URL, which workers must reach"),
          }),
        },
      },
      handler: async ({ request, principal, body }) => {
        const token = generateApiKey();
        const expiresAt = new Date(deps.now().getTime() + body.ttl_s * 1000);
        const row = await insertJoinToken(db, {
          token_hash: hashToken(token),
          created_by: principal.user.id,
          expires_at: expiresAt,
        });
        request.log.info({ joinTokenId: row.id, by: principal.user.id }, "join token created");
        const server = deps.config.server.public_url;
        return {
          token,
          expires_at: iso(expiresAt),
          command: `wisehosting agent --server ${server} --join-token ${token} --name <choose-a-name>`,
          server,
        };
      },
    }),
    defineRoute({
      method: "GET",
      url: "/admin/stats",
      access: "admin",
      summary: "Fleet totals: workers online and offline, capacity, apps by status, users",
      tags: ["admin"],
      schema: { response: { 200: statsSchema } },
      handler: async () => {
        const [w, byStatus, users, admins] = await Promise.all([
          getWorkerStats(db),
          countAppsByStatus(db),
          countUsers(db),
          countAdmins(db),
        ]);
        return {
          workers: { total: w.workers_total, online: w.workers_online, offline: w.workers_offline },
          capacity: {
            cpu_millicores_total: w.cpu_millicores_total,
            cpu_millicores_used: w.cpu_millicores_used,
            memory_mb_total: w.memory_mb_total,
            memory_mb_used: w.memory_mb_used,
          },
          apps: { total: Object.values(byStatus).reduce((a, b) => a + b, 0), by_status: byStatus },
          users: { total: users, admins },
        };
      },
    }),
    ...adminAccountRoutes(deps),
  ];
}
