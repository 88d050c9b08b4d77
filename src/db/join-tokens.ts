import type { Kysely, Selectable } from "kysely";
import type { DB, JoinTokensTable } from "./schema.js";

export type JoinTokenRow = Selectable<JoinTokensTable>;

export interface NewJoinToken {
  token_hash: string;
  created_by: number | null;
  expires_at: Date;
}

export function insertJoinToken(db: Kysely<DB>, token: NewJoinToken): Promise<JoinTokenRow> {
  return db.insertInto("join_tokens").values(token).returningAll().executeTakeFirstOrThrow();
}

export function findJoinTokenById(db: Kysely<DB>, id: number): Promise<JoinTokenRow | undefined> {
  return db.selectFrom("join_tokens").selectAll().where("id", "=", id).executeTakeFirst();
}

/**
 * Marks the token used at `now` by `workerId` and returns it, if it is unused
 * and unexpired at `now`; otherwise returns undefined. One conditional UPDATE,
 * so among concurrent callers exactly one gets the row.
 */
export function consumeJoinToken(
  db: Kysely<DB>,
  tokenHash: string,
  now: Date,
  workerId: number | null,
): Promise<JoinTokenRow | undefined> {
  return db
    .updateTable("join_tokens")
    .set({ used_at: now, used_by_worker_id: workerId })
    .where("token_hash", "=", tokenHash)
    .where("used_at", "is", null)
    .where("expires_at", ">", now)
    .returningAll()
    .executeTakeFirst();
}
