import type { Insertable, Kysely, Selectable } from "kysely";
import type { CustomDomainsTable, DB } from "./schema.js";

export type CustomDomainRow = Selectable<CustomDomainsTable>;
export type NewCustomDomain = Insertable<CustomDomainsTable>;

/** Inserts one domain. A hostname already claimed (by any app) fails with 23505. */
export function insertCustomDomain(db: Kysely<DB>, domain: NewCustomDomain): Promise<CustomDomainRow> {
  return db.insertInto("custom_domains").values(domain).returningAll().executeTakeFirstOrThrow();
}

export function findCustomDomainById(db: Kysely<DB>, id: number): Promise<CustomDomainRow | undefined> {
  return db.selectFrom("custom_domains").selectAll().where("id", "=", id).executeTakeFirst();
}

export function findCustomDomainByHostname(
  db: Kysely<DB>,
  hostname: string,
): Promise<CustomDomainRow | undefined> {
  return db.selectFrom("custom_domains").selectAll().where("hostname", "=", hostname).executeTakeFirst();
}

/** The app's domains, ordered by hostname. */
export function listCustomDomainsByApp(db: Kysely<DB>, appId: number): Promise<CustomDomainRow[]> {
  return db
    .selectFrom("custom_domains")
    .selectAll()
    .where("app_id", "=", appId)
    .orderBy("hostname")
    .execute();
}

/** True when a row was deleted. */
export async function deleteCustomDomain(db: Kysely<DB>, id: number): Promise<boolean> {
  const result = await db.deleteFrom("custom_domains").where("id", "=", id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export interface VerifiedDomainRow {
  app_id: number;
  hostname: string;
}

/**
 * The verified domains of running apps, in one statement; with `appIds`,
 * only those apps' (an empty list gives none without a query). Unordered:
 * the Traefik renderer sorts in code-unit order, which a collation may not.
 */
export async function listVerifiedDomainsOfRunningApps(
  db: Kysely<DB>,
  appIds?: readonly number[],
): Promise<VerifiedDomainRow[]> {
  if (appIds?.length === 0) return [];
  let query = db
    .selectFrom("custom_domains as cd")
    .innerJoin("apps as a", "a.id", "cd.app_id")
    .select(["cd.app_id", "cd.hostname"])
    .where("cd.verified_at", "is not", null)
    .where("a.status", "=", "running");
  if (appIds) query = query.where("cd.app_id", "in", appIds);
  return query.execute();
}

/** The app's domain with this (normalized) hostname, if the app has it. */
export function findCustomDomainOfApp(
  db: Kysely<DB>,
  appId: number,
  hostname: string,
): Promise<CustomDomainRow | undefined> {
  return db
    .selectFrom("custom_domains")
    .selectAll()
    .where("app_id", "=", appId)
    .where("hostname", "=", hostname)
    .executeTakeFirst();
}

/**
 * Stamps verified_at on a domain not verified yet and returns the row as it
 * is afterwards (verified earlier: unchanged). Undefined when it is gone.
 */
export async function markCustomDomainVerified(
  db: Kysely<DB>,
  id: number,
  at: Date,
): Promise<CustomDomainRow | undefined> {
  const updated = await db
    .updateTable("custom_domains")
    .set({ verified_at: at })
    .where("id", "=", id)
    .where("verified_at", "is", null)
    .returningAll()
    .executeTakeFirst();
  return updated ?? findCustomDomainById(db, id);
}

/** Deletes the app's domain with this hostname; returns what it deleted. */
export function deleteCustomDomainOfApp(
  db: Kysely<DB>,
  appId: number,
  hostname: string,
): Promise<CustomDomainRow | undefined> {
  return db
    .deleteFrom("custom_domains")
    .where("app_id", "=", appId)
    .where("hostname", "=", hostname)
    .returningAll()
    .executeTakeFirst();
}
