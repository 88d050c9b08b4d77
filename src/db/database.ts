import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { PGlite } from "@electric-sql/pglite";
import { Kysely, PGliteDialect, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { describeDatabaseUrl } from "../config/redact.js";
import { ConfigError } from "../errors.js";
import { acquireDataDirLock, type DataDirLock } from "./data-dir-lock.js";
import { INT8_OID, parseInt8, PGLITE_POSTGRESQL_CONF } from "./pglite-options.js";
import type { DB } from "./schema.js";

export type DatabaseEngine = "postgres" | "pglite";

export type DatabaseTarget =
  | { engine: "postgres"; url: string; poolSize?: number }
  | {
      engine: "pglite";
      /** Directory of the database; undefined keeps it in memory (tests). */
      dataDir: string | undefined;
      /** A dumped data directory to start from (tests' migrated template). */
      loadDataDir?: Blob;
    };

export interface DatabaseLogger {
  info(obj: object, msg: string): void;
}

/**
 * The database handle: the Kysely instance every table module takes, plus
 * what main needs around it. `close()` is idempotent; on PGlite it runs
 * CHECKPOINT first and then releases the data-directory lock.
 */
export interface Database {
  readonly kysely: Kysely<DB>;
  readonly engine: DatabaseEngine;
  /** Where the data is, without credentials (for the start-up banner). */
  readonly description: string;
  /** The underlying PGlite instance (embedded mode only), for LISTEN. */
  readonly pglite: PGlite | undefined;
  /** True when the database answers `SELECT 1` within timeoutMs. */
  ping(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

export async function openDatabase(target: DatabaseTarget, log: DatabaseLogger): Promise<Database> {
  return target.engine === "postgres"
    ? openPostgres(target.url, target.poolSize ?? 10)
    : openPglite(target, log);
}

async function openPostgres(url: string, poolSize: number): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary"): unknown =>
        oid === INT8_OID
          ? parseInt8
          : (pg.types.getTypeParser(oid, format) as unknown)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client that loses its connection emits 'error' on the pool; without a listener that kills the process.
  pool.on("error", () => undefined);
  const description = `postgres ${describeDatabaseUrl(url)}`;
  try {
    await pool.query("SELECT 1");
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new ConfigError(
      `database: cannot connect to ${describeDatabaseUrl(url)}: ${(err as Error).message}`,
    );
  }
  const kysely = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  let closed: Promise<void> | undefined;
  return {
    kysely,
    engine: "postgres",
    description,
    pglite: undefined,
    ping: (timeoutMs) => ping(kysely, timeoutMs),
    close: () => (closed ??= kysely.destroy()),
  };
}

async function openPglite(
  target: Extract<DatabaseTarget, { engine: "pglite" }>,
  log: DatabaseLogger,
): Promise<Database> {
  let lock: DataDirLock | undefined;
  const dir = target.dataDir;
  if (dir !== undefined) {
    await mkdir(path.dirname(dir), { recursive: true, mode: 0o700 });
    lock = await acquireDataDirLock(`${dir}.lock`, `embedded database ${dir}`);
  }
  let pglite: PGlite;
  try {
    if (dir !== undefined && !existsSync(path.join(dir, "PG_VERSION"))) {
      log.info({ dir }, "initialising the embedded database (first start only; this takes several seconds)");
      await initdb(dir);
    }
    pglite = await PGlite.create({
      ...(dir !== undefined ? { dataDir: dir } : {}),
      ...(target.loadDataDir ? { loadDataDir: target.loadDataDir } : {}),
      postgresqlconf: [...PGLITE_POSTGRESQL_CONF],
      parsers: { [INT8_OID]: parseInt8 },
    });
  } catch (err) {
    await lock?.release();
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`database: cannot open the embedded database ${dir ?? "(memory)"}: ${String(err)}`);
  }
  const kysely = new Kysely<DB>({ dialect: new PGliteDialect({ pglite }) });
  let closed: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    try {
      if (!pglite.closed) await pglite.query("CHECKPOINT");
    } finally {
      await kysely.destroy();
      if (!pglite.closed) await pglite.close();
      await lock?.release();
    }
  };
  return {
    kysely,
    engine: "pglite",
    description: dir === undefined ? "embedded (in memory)" : `embedded ${dir}`,
    pglite,
    ping: (timeoutMs) => ping(kysely, timeoutMs),
    close: () => (closed ??= close()),
  };
}

/**
 * Runs initdb in a child process when the compiled helper exists (dist/), so
 * its memory is returned to the OS when it exits; from source (tests) it runs
 * in-process.
 */
async function initdb(dir: string): Promise<void> {
  const helper = fileURLToPath(new URL("./pglite-initdb.js", import.meta.url));
  if (existsSync(helper)) {
    await promisify(execFile)(process.execPath, [helper, dir], { timeout: 120_000 });
    return;
  }
  const pglite = await PGlite.create(dir, { postgresqlconf: [...PGLITE_POSTGRESQL_CONF] });
  await pglite.close();
}

async function ping(kysely: Kysely<DB>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const query = sql`SELECT 1`.execute(kysely).then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([query, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
