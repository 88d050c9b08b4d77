import { sql, type Kysely } from "kysely";

/**
 * A job may be due later than it is created: the stop that retires a
 * superseded deployment waits out the drain (spec §5, start-first redeploys).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE jobs ADD COLUMN run_after timestamptz NOT NULL DEFAULT now()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE jobs DROP COLUMN run_after`.execute(db);
}
