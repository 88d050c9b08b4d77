import { sql, type Kysely } from "kysely";

/**
 * The heartbeat batcher rewrites the row of every worker that beat, every
 * second. With the pages full, each rewrite was a new row version in a new
 * place, with a new entry in each of the table's four indexes, and the dead
 * versions stayed until a VACUUM; the embedded database runs no autovacuum,
 * so the table and its indexes grew for ever (2,000 workers: 16 MB of dead
 * rows in 40 seconds of beats). With half of each page free, the rewrite
 * is a HOT update: same page, no index entries, and the dead version is
 * pruned on the page by the next update. Half the time per row, bounded size.
 * Existing pages get the room as their rows move; nothing is rewritten now.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE workers SET (fillfactor = 50)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE workers RESET (fillfactor)`.execute(db);
}
