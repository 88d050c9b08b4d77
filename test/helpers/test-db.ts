import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import pg from "pg";
import { openDatabase, type Database } from "../../src/db/database.js";
import { migrateToLatest } from "../../src/db/migrate.js";

export const silentLog = { info: () => undefined, error: () => undefined, warn: () => undefined };

export interface TestDatabase {
  db: Database;
  /** Connection URL when the test runs against a real PostgreSQL server. */
  url: string | undefined;
  /** Closes the handle and drops the per-test database. */
  dispose(): Promise<void>;
}

/** The engine under test: PostgreSQL when TEST_DATABASE_URL is set, else PGlite. */
export const testEngine: "postgres" | "pglite" = process.env.TEST_DATABASE_URL ? "postgres" : "pglite";

/**
 * A fresh, migrated database for one test file. On PostgreSQL a new database
 * is created on the server named by TEST_DATABASE_URL (and dropped after); on
 * PGlite an in-memory instance is loaded from the migrated template that the
 * global setup dumped, which takes about a second instead of an initdb.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (adminUrl) {
    const url = await createPostgresDatabase(adminUrl);
    const db = await openDatabase({ engine: "postgres", url, poolSize: 8 }, silentLog);
    await migrateToLatest(db, silentLog);
    return { db, url, dispose: () => dropPostgresDatabase(db, adminUrl, url) };
  }
  const template = process.env.WISEHOSTING_TEST_TEMPLATE;
  const loadDataDir = template ? new Blob([await readFile(template)]) : undefined;
  const db = await openDatabase(
    { engine: "pglite", dataDir: undefined, ...(loadDataDir ? { loadDataDir } : {}) },
    silentLog,
  );
  await migrateToLatest(db, silentLog);
  return { db, url: undefined, dispose: () => db.close() };
}

/** Creates an empty database on the server of adminUrl and returns its URL. */
export async function createPostgresDatabase(adminUrl: string): Promise<string> {
  const name = `wh_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropPostgresDatabase(
  db: Database | undefined,
  adminUrl: string,
  url: string,
): Promise<void> {
  await db?.close();
  const name = new URL(url).pathname.slice(1);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    // An autovacuum worker on the database can make the forced drop fail once; try again briefly.
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        return;
      } catch (err) {
        if (attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  } finally {
    await admin.end();
  }
}
