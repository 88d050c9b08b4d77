import { sql, type Insertable, type Kysely, type Selectable } from "kysely";
import type { DB, UsersTable } from "./schema.js";

export type UserRow = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;

/**
 * Inserts one user. The email must already be lowercase (a CHECK rejects
 * anything else with 23514); a taken email fails with 23505.
 */
export function insertUser(db: Kysely<DB>, user: NewUser): Promise<UserRow> {
  return db.insertInto("users").values(user).returningAll().executeTakeFirstOrThrow();
}

export function findUserById(db: Kysely<DB>, id: number): Promise<UserRow | undefined> {
  return db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
}

/** Emails are stored lowercase, so the lookup lowercases its argument the same way (SQL lower()). */
export function findUserByEmail(db: Kysely<DB>, email: string): Promise<UserRow | undefined> {
  return db
    .selectFrom("users")
    .selectAll()
    .where("email", "=", sql<string>`lower(${email})`)
    .executeTakeFirst();
}

export async function countUsers(db: Kysely<DB>): Promise<number> {
  const row = await db
    .selectFrom("users")
    .select(sql<number>`count(*)::int`.as("n"))
    .executeTakeFirstOrThrow();
  return row.n;
}

/** Deletes a user and, by cascade, everything they own. True when a row was deleted. */
export async function deleteUser(db: Kysely<DB>, id: number): Promise<boolean> {
  const result = await db.deleteFrom("users").where("id", "=", id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
