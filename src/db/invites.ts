import type { Kysely, Selectable } from "kysely";
import type { DB, InvitesTable } from "./schema.js";

export type InviteRow = Selectable<InvitesTable>;

export interface NewInvite {
  token_hash: string;
  email: string | null;
  plan_name: string | null;
  created_by: number | null;
  expires_at: Date;
}

export function insertInvite(db: Kysely<DB>, invite: NewInvite): Promise<InviteRow> {
  return db.insertInto("invites").values(invite).returningAll().executeTakeFirstOrThrow();
}

/** Invites not yet used and not expired at `now`, newest first. */
export function listOpenInvites(db: Kysely<DB>, now: Date): Promise<InviteRow[]> {
  return db
    .selectFrom("invites")
    .selectAll()
    .where("used_at", "is", null)
    .where("expires_at", ">", now)
    .orderBy("id", "desc")
    .execute();
}

/**
 * Marks the invite used by `userId` and returns it, if it is unused,
 * unexpired at `now` and (when bound to an email) for `email`. One
 * conditional UPDATE: among concurrent sign-ups exactly one gets it.
 */
export function consumeInvite(
  db: Kysely<DB>,
  tokenHash: string,
  email: string,
  now: Date,
  userId: number,
): Promise<InviteRow | undefined> {
  return db
    .updateTable("invites")
    .set({ used_at: now, used_by: userId })
    .where("token_hash", "=", tokenHash)
    .where("used_at", "is", null)
    .where("expires_at", ">", now)
    .where((eb) => eb.or([eb("email", "is", null), eb("email", "=", email)]))
    .returningAll()
    .executeTakeFirst();
}

/** True when an unused invite was deleted. */
export async function deleteInvite(db: Kysely<DB>, id: number): Promise<boolean> {
  const r = await db
    .deleteFrom("invites")
    .where("id", "=", id)
    .where("used_at", "is", null)
    .executeTakeFirst();
  return r.numDeletedRows > 0n;
}
