import type { Kysely } from "kysely";
import type { SecretBox } from "../crypto/aes.js";
import { hashApiKey, API_KEY_PATTERN } from "../crypto/api-key.js";
import { constantTimeEqual } from "../crypto/compare.js";
import type { DB } from "../db/schema.js";
import { findWorkerByApiKeyHash, findWorkerById, type WorkerRow } from "../db/workers.js";
import { looksLikeJwt, type WorkerJwt } from "./worker-jwt.js";

export interface WorkerAuthOptions {
  db: Kysely<DB>;
  jwt: WorkerJwt;
  secretBox: SecretBox;
  masterSecret: string;
}

/** Extracts the token of an `Authorization: Bearer <token>` header, or "". */
export function extractBearer(header: string | undefined): string {
  if (!header) return "";
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1] ?? "";
}

/**
 * Who is calling the worker API. Every method fails closed: anything it
 * cannot positively verify yields null/false, never an exception.
 */
export class WorkerAuth {
  constructor(private readonly opts: WorkerAuthOptions) {}

  /** Constant-time check of the master secret (`api_server.secret`). */
  isMasterSecret(token: string): boolean {
    return token !== "" && constantTimeEqual(token, this.opts.masterSecret);
  }

  /**
   * Resolves a worker from a JWT or a raw API key (spec §1, §2). A JWT must
   * verify, name an existing worker, and carry that worker's current
   * api_key_hash (so rotating the key voids every older token).
   */
  async resolveWorker(token: string): Promise<WorkerRow | null> {
    if (token === "") return null;
    if (looksLikeJwt(token)) {
      const claims = await this.opts.jwt.verify(token);
      if (!claims) return null;
      const worker = await findWorkerById(this.opts.db, claims.workerId);
      if (!worker || !constantTimeEqual(claims.keyHash, worker.api_key_hash)) return null;
      return worker;
    }
    if (!API_KEY_PATTERN.test(token)) return null;
    const hash = hashApiKey(token);
    const worker = await findWorkerByApiKeyHash(this.opts.db, hash);
    if (!worker || !constantTimeEqual(hash, worker.api_key_hash)) return null;
    return worker;
  }

  /** The worker's envelope key, decrypted from its row. */
  envelopeKey(worker: WorkerRow): Buffer {
    return this.opts.secretBox.open(worker.envelope_key_enc, workerKeyAad(worker.name));
  }
}

/**
 * Additional data binding a sealed envelope key to its worker's name (stable
 * across key rotation), so a sealed key copied onto another row won't open.
 */
export function workerKeyAad(name: string): string {
  return `worker-envelope-key:${name}`;
}
