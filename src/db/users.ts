import { sql, type Insertable, type Kysely, type Selectable, type Updateable } from "kysely";
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

/** A user with how many apps they have (apps deleted or being deleted excluded). */
export type UserWithAppCount = UserRow & { apps: number };

/** Every user with their app count, ordered by id (the admin's user list). */
export function listUsersWithAppCounts(db: Kysely<DB>): Promise<UserWithAppCount[]> {
  return db
    .selectFrom("users")
    .selectAll("users")
    .select((eb) =>
      eb
        .selectFrom("apps")
        .select(sql<number>`count(*)::int`.as("n"))
        .whereRef("apps.user_id", "=", "users.id")
        .where("apps.status", "not in", ["deleting", "deleted"])
        .as("apps"),
    )
    .orderBy("users.id")
    .execute() as Promise<UserWithAppCount[]>;
}

export async function countAdmins(db: Kysely<DB>): Promise<number> {
  const row = await db
    .selectFrom("users")
    .select(sql<number>`count(*)::int`.as("n"))
    .where("is_admin", "=", true)
    .executeTakeFirstOrThrow();
  return row.n;
}

/**
 * Serializes changes to the set of administrators until the transaction
 * ends (the same lock sign-up takes), so two concurrent demotions cannot
 * both see another admin left and leave none.
 */
export async function lockAdminSet(trx: Kysely<DB>): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtext('wisehosting.signup'))`.execute(trx);
}

/** Sets the user's plan and/or admin flag; undefined when no such user. */
export function updateUserRole(
  db: Kysely<DB>,
  id: number,
  change: { plan_name?: string; is_admin?: boolean },
  now: Date,
): Promise<UserRow | undefined> {
  return db
    .updateTable("users")
    .set({ ...change, updated_at: now })
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirst();
}

/** Sets the given columns of one user and stamps updated_at (password, plan, TOTP state). */
export async function updateUserFields(
  db: Kysely<DB>,
  id: number,
  values: Omit<Updateable<UsersTable>, "id" | "updated_at">,
  now: Date,
): Promise<void> {
  await db
    .updateTable("users")
    .set({ ...values, updated_at: now })
    .where("id", "=", id)
    .execute();
}

/**
 * Records TOTP time step `step` as used, if it is later than the last one
 * used: one conditional UPDATE, so among concurrent uses of a code exactly
 * one wins. False when the step (or a later one) was already used.
 */
export async function consumeTotpStep(db: Kysely<DB>, id: number, step: number): Promise<boolean> {
  const r = await db
    .updateTable("users")
    .set({ totp_last_step: step })
    .where("id", "=", id)
    .where((eb) => eb.or([eb("totp_last_step", "is", null), eb("totp_last_step", "<", step)]))
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}
