import type { Kysely } from "kysely";
import type { AppRow } from "../db/apps.js";
import type { DB } from "../db/schema.js";
import { NotFoundError } from "../errors.js";

/**
 * The user's app with this slug. Another user's app is "not found" exactly
 * like a missing one (never 403), so the API does not confirm it exists.
 * Deleted apps (kept while their delete job runs) are not found either.
 */
export async function findOwnedApp(db: Kysely<DB>, userId: number, slug: string): Promise<AppRow> {
  const app = await db
    .selectFrom("apps")
    .selectAll()
    .where("slug", "=", slug)
    .where("user_id", "=", userId)
    .where("status", "<>", "deleted")
    .executeTakeFirst();
  if (!app) throw new NotFoundError(`app ${slug} not found`);
  return app;
}
