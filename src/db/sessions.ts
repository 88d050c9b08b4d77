import type { Insertable, Kysely, Selectable } from "kysely";
import type { DB, SessionsTable } from "./schema.js";

export type SessionRow = Selectable<SessionsTable>;
export type NewSession = Insertable<SessionsTable>;

export function insertSession(db: Kysely<DB>, session: NewSession): Promise<SessionRow> {
  return db.insertInto("sessions").values(session).returningAll().executeTakeFirstOrThrow();
}

/**
 * The session holding `tokenHash` if it is usable at `now`: not revoked, and
 * either without expiry or expiring after `now`.
 */
export function findActiveSessionByTokenHash(
  db: Kysely<DB>,
  tokenHash: string,
  now: Date,
): Promise<SessionRow | undefined> {
  return db
    .selectFrom("sessions")
    .selectAll()
    .where("token_hash", "=", tokenHash)
    .where("revoked_at", "is", null)
    .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", now)]))
    .executeTakeFirst();
}

/** A user's usable sessions at `now` (of one kind when given), most recently used first. */
export function listActiveSessions(
  db: Kysely<DB>,
  userId: number,
  now: Date,
  kind?: SessionRow["kind"],
): Promise<SessionRow[]> {
  let query = db.selectFrom("sessions").selectAll().where("user_id", "=", userId);
  if (kind !== undefined) query = query.where("kind", "=", kind);
  return query
    .where("revoked_at", "is", null)
    .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", now)]))
    .orderBy("last_used_at", "desc")
    .orderBy("id", "desc")
    .execute();
}

/**
 * Revokes one of the user's sessions that is usable at `now` (scoped to its
 * owner; of one kind, web session or API token, when `kind` is given). True
 * when it was revoked now; false when it does not exist, belongs to someone
 * else, is of the other kind, or was already revoked or expired (its
 * revoked_at is kept): callers answer 404 for all of them.
 */
export async function revokeSession(
  db: Kysely<DB>,
  userId: number,
  sessionId: number,
  now: Date,
  kind?: SessionRow["kind"],
): Promise<boolean> {
  let query = db
    .updateTable("sessions")
    .set({ revoked_at: now })
    .where("id", "=", sessionId)
    .where("user_id", "=", userId);
  if (kind !== undefined) query = query.where("kind", "=", kind);
  const result = await query
    .where("revoked_at", "is", null)
    .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", now)]))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Revokes every unrevoked session of the user except `keepSessionId` (all of
 * them when null). Returns how many were revoked.
 */
export async function revokeOtherSessions(
  db: Kysely<DB>,
  userId: number,
  keepSessionId: number | null,
  now: Date,
): Promise<number> {
  let query = db
    .updateTable("sessions")
    .set({ revoked_at: now })
    .where("user_id", "=", userId)
    .where("revoked_at", "is", null);
  if (keepSessionId !== null) query = query.where("id", "<>", keepSessionId);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Deletes sessions revoked before `cutoff` or expired before `cutoff` (the
 * caller passes now minus the retention). Returns how many were deleted.
 */
export async function pruneRevokedSessions(db: Kysely<DB>, cutoff: Date): Promise<number> {
  const result = await db
    .deleteFrom("sessions")
    .where((eb) => eb.or([eb("revoked_at", "<", cutoff), eb("expires_at", "<", cutoff)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Records a use of the session at `now`, and moves its expiry to `expiresAt` when given (sliding expiry). */
export async function touchSession(
  db: Kysely<DB>,
  sessionId: number,
  now: Date,
  expiresAt: Date | undefined,
): Promise<void> {
  await db
    .updateTable("sessions")
    .set({ last_used_at: now, ...(expiresAt ? { expires_at: expiresAt } : {}) })
    .where("id", "=", sessionId)
    .execute();
}
