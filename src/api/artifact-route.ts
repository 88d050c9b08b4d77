import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { FastifyInstance } from "fastify";
import type { Kysely } from "kysely";
import type { DB } from "../db/schema.js";
import { NotFoundError, UnauthorizedError } from "../errors.js";
import { extractBearer, type WorkerAuth } from "./worker-auth.js";

/**
 * GET /v1/workers/artifacts/{deployment_id} (spec §2): streams the build
 * context of a deployment whose deploy job is assigned to (or being processed
 * by) the calling worker. Any other deployment is 404, whether or not it
 * exists, so a worker learns nothing about others' deployments.
 */
export function registerArtifactRoute(
  app: FastifyInstance,
  deps: { db: Kysely<DB>; auth: WorkerAuth },
): void {
  app.get<{ Params: { id: string } }>("/v1/workers/artifacts/:id", async (request, reply) => {
    const worker = await deps.auth.resolveWorker(extractBearer(request.headers.authorization));
    if (!worker) throw new UnauthorizedError();
    const id = /^[1-9]\d{0,9}$/.test(request.params.id) ? Number(request.params.id) : NaN;
    if (!Number.isSafeInteger(id)) throw new NotFoundError("no such artifact");
    const row = await deps.db
      .selectFrom("deployments as d")
      .innerJoin("jobs as j", "j.deployment_id", "d.id")
      .select("d.archive_path")
      .where("d.id", "=", id)
      .where("d.source_kind", "=", "archive")
      .where("j.type", "=", "deploy")
      .where("j.worker_id", "=", worker.id)
      .where("j.status", "in", ["assigned", "processing"])
      .executeTakeFirst();
    const file = row?.archive_path;
    if (!file) throw new NotFoundError("no such artifact");
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) throw new NotFoundError("no such artifact");
    return reply
      .header("content-type", "application/gzip")
      .header("content-length", info.size)
      .send(createReadStream(file));
  });
}
