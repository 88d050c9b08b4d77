import { sql } from "kysely";
import { Migrator } from "kysely/migration";
import type { Database } from "./database.js";
import { migrationProvider } from "./migrations/index.js";

/** Advisory-lock key shared by every replica: "wisehost" in ASCII. */
export const MIGRATION_LOCK_KEY = 0x7769736568_6f7374n & 0x7fffffffffffffffn;

export interface MigrateLogger {
  info(obj: object, msg: string): void;
}

/**
 * Brings the schema to the latest migration. Runs on one connection holding a
 * session-level advisory lock, so replicas starting at once on an empty
 * database run the migrations one after another (the later ones find nothing
 * to do) instead of racing on CREATE TABLE. Returns the names applied.
 */
export async function migrateToLatest(db: Database, log: MigrateLogger): Promise<string[]> {
  return db.kysely.connection().execute(async (conn) => {
    await sql`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY.toString()}::bigint)`.execute(conn);
    try {
      const migrator = new Migrator({ db: conn, provider: migrationProvider });
      const { error, results } = await migrator.migrateToLatest();
      const failed = results?.find((r) => r.status === "Error");
      if (error || failed) {
        throw new Error(`migration ${failed?.migrationName ?? "(unknown)"} failed: ${String(error)}`, {
          cause: error,
        });
      }
      const applied = (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
      if (applied.length > 0) log.info({ applied }, "database migrated");
      return applied;
    } finally {
      await sql`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY.toString()}::bigint)`.execute(conn);
    }
  });
}
