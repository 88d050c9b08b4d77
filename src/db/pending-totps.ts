import { sql, type Kysely, type Selectable } from "kysely";
import type { DB, PendingTotpsTable } from "./schema.js";

export type PendingTotpRow = Selectable<PendingTotpsTable>;

export interface NewPendingTotp {
  user_id: number;
  secret_enc: string;
  expires_at: Date;
}

/**
 * Stores the user's TOTP set-up in progress, replacing any earlier one (a
 * user has at most one; created_at restarts).
 */
export function upsertPendingTotp(db: Kysely<DB>, pending: NewPendingTotp): Promise<PendingTotpRow> {
  return db
    .insertInto("pending_totps")
    .values(pending)
    .onConflict((oc) =>
      oc.column("user_id").doUpdateSet((eb) => ({
        secret_enc: eb.ref("excluded.secret_enc"),
        expires_at: eb.ref("excluded.expires_at"),
        created_at: sql<Date>`now()`,
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The user's pending set-up if it has not expired at `now`. */
export function findPendingTotp(
  db: Kysely<DB>,
  userId: number,
  now: Date,
): Promise<PendingTotpRow | undefined> {
  return db
    .selectFrom("pending_totps")
    .selectAll()
    .where("user_id", "=", userId)
    .where("expires_at", ">", now)
    .executeTakeFirst();
}

/** True when a row was deleted. */
export async function deletePendingTotp(db: Kysely<DB>, userId: number): Promise<boolean> {
  const result = await db.deleteFrom("pending_totps").where("user_id", "=", userId).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Deletes set-ups with expires_at <= now. Returns how many were deleted. */
export async function prunePendingTotps(db: Kysely<DB>, now: Date): Promise<number> {
  const result = await db.deleteFrom("pending_totps").where("expires_at", "<=", now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
