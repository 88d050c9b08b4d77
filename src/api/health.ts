import type { FastifyInstance } from "fastify";
import type { Database } from "../db/database.js";

/** How long the database may take to answer before /health reports degraded. */
export const HEALTH_DB_TIMEOUT_MS = 2000;

export interface HealthDeps {
  db: Pick<Database, "ping">;
  now: () => Date;
}

/**
 * GET /health, no auth: 200 {"status":"ok","time":...} while the database
 * answers `SELECT 1` within 2 s; 503 {"status":"degraded",...} otherwise.
 */
export function registerHealthRoute(app: FastifyInstance, deps: HealthDeps): void {
  app.get("/health", async (_request, reply) => {
    const ok = await deps.db.ping(HEALTH_DB_TIMEOUT_MS);
    const time = deps.now().toISOString();
    if (ok) return reply.status(200).send({ status: "ok", time });
    return reply.status(503).send({ status: "degraded", time, database: "not answering" });
  });
}
