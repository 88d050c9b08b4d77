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
