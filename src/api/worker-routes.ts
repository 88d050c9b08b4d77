import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Kysely } from "kysely";
import type { SecretBox } from "../crypto/aes.js";
import { envelopeKey, generateApiKey, hashApiKey, hashToken } from "../crypto/api-key.js";
import { consumeJoinToken, insertJoinToken } from "../db/join-tokens.js";
import type { DB } from "../db/schema.js";
import {
  getWorkerStats,
  insertWorkerIfNameFree,
  publicWorker,
  upsertWorkerByName,
  type WorkerRow,
} from "../db/workers.js";
import { AppError, ConflictError, UnauthorizedError } from "../errors.js";
import { extractBearer, workerKeyAad, type WorkerAuth } from "./worker-auth.js";
import type { WorkerJwt } from "./worker-jwt.js";
import {
  joinTokenRequestSchema,
  registerRequestSchema,
  type RegisterRequest,
} from "./worker-registration.js";
import { parseBody } from "./validate.js";

export interface WorkerRoutesDeps {
  db: Kysely<DB>;
  auth: WorkerAuth;
  jwt: WorkerJwt;
  secretBox: SecretBox;
  now: () => Date;
}

function bearer(request: FastifyRequest): string {
  return extractBearer(request.headers.authorization);
}

/** Maps constraint violations of a registration to the spec's errors. */
function registrationConflict(err: unknown): never {
  const e = err as { code?: string; constraint?: string; message?: string };
  if (e.code === "23505" && `${e.constraint ?? ""}${e.message ?? ""}`.includes("api_key_hash")) {
    throw new ConflictError("key_taken", "this api_key is already registered to another worker");
  }
  if (e.code === "23514" && `${e.constraint ?? ""}${e.message ?? ""}`.includes("used_")) {
    throw new ConflictError(
      "capacity_below_used",
      "the reported capacity is below what is already reserved on this worker",
    );
  }
  throw err;
}

/**
 * The worker API's HTTP endpoints (worker protocol §2): registration with the
 * master secret or a single-use join token, JWT refresh with the raw API key,
 * fleet stats and join-token creation with the master secret.
 */
export function registerWorkerRoutes(app: FastifyInstance, deps: WorkerRoutesDeps): void {
  const { db, auth, jwt } = deps;

  const issueToken = async (worker: WorkerRow) => {
    const { token, expiresAt } = await jwt.sign(worker.id, worker.api_key_hash);
    return { token, token_expires_at: expiresAt.toISOString() };
  };

  app.post("/v1/workers/register", async (request) => {
    const token = bearer(request);
    const master = auth.isMasterSecret(token);
    // Authenticate before looking at the body: an anonymous caller learns nothing.
    if (!master && !(token !== "" && /^[0-9a-f]{64}$/.test(token))) throw new UnauthorizedError();
    const body = master ? parseBody(registerRequestSchema, request.body) : undefined;

    const fieldsOf = (b: RegisterRequest) => ({
      name: b.name,
      api_key_hash: hashApiKey(b.api_key),
      envelope_key_enc: deps.secretBox.seal(envelopeKey(b.api_key), workerKeyAad(b.name)),
      zone: b.zone,
      wireguard_ip: b.wireguard_ip ?? null,
      public_ip: b.public_ip ?? null,
      cpu_millicores: b.cpu_millicores,
      memory_mb: b.memory_mb,
      agent_version: b.agent_version ?? null,
    });

    let worker: WorkerRow;
    if (master && body) {
      worker = await upsertWorkerByName(db, fieldsOf(body)).catch(registrationConflict);
    } else {
      // Join token: consumed in the same transaction that inserts a new worker,
      // so a refused registration leaves the token unused.
      worker = await db
        .transaction()
        .execute(async (trx) => {
          const used = await consumeJoinToken(trx, hashToken(token), deps.now(), null);
          if (!used) throw new UnauthorizedError();
          const b = parseBody(registerRequestSchema, request.body);
          const inserted = await insertWorkerIfNameFree(trx, fieldsOf(b));
          if (!inserted) {
            throw new ConflictError(
              "name_taken",
              `a worker named ${b.name} exists; re-registering it takes the master secret`,
            );
          }
          await trx
            .updateTable("join_tokens")
            .set({ used_by_worker_id: inserted.id })
            .where("id", "=", used.id)
            .execute();
          return inserted;
        })
        .catch((err: unknown) => (err instanceof AppError ? Promise.reject(err) : registrationConflict(err)));
    }
    request.log.info(
      { workerId: worker.id, name: worker.name, via: master ? "master" : "join_token" },
      "worker registered",
    );
    return { worker: publicWorker(worker), ...(await issueToken(worker)) };
  });

  app.post("/v1/workers/refresh-token", async (request) => {
    const worker = await auth.resolveWorker(bearer(request));
    // Only the raw API key refreshes: a JWT must not extend itself forever.
    if (!worker || bearer(request).includes(".")) throw new UnauthorizedError();
    return issueToken(worker);
  });

  app.get("/v1/stats", async (request) => {
    if (!auth.isMasterSecret(bearer(request))) throw new UnauthorizedError();
    return getWorkerStats(db);
  });

  app.post("/v1/workers/join-tokens", async (request) => {
    if (!auth.isMasterSecret(bearer(request))) throw new UnauthorizedError();
    const { ttl_s } = parseBody(joinTokenRequestSchema, request.body);
    const token = generateApiKey();
    const expiresAt = new Date(deps.now().getTime() + ttl_s * 1000);
    await insertJoinToken(db, { token_hash: hashToken(token), created_by: null, expires_at: expiresAt });
    return { token, expires_at: expiresAt.toISOString() };
  });
}
