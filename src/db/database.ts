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
  /** Lost LISTEN connections and failing notification callbacks; falls back to info. */
  warn?(obj: object, msg: string): void;
}

/** Channel names LISTEN accepts here: lower-case SQL identifiers, so quoting never changes them. */
export const CHANNEL_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

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
  /**
   * LISTENs on `channel` (must match CHANNEL_PATTERN) and calls onPayload
   * with the payload of every notification on it, from this or any other
   * connection to the same database. Resolves once the LISTEN is in effect,
   * so a notification committed after that is delivered; rejects when the
   * channel is invalid, the database is closed or (Postgres) the first
   * connection cannot be made. The returned function unlistens; it is
   * idempotent, never rejects, and once it resolves onPayload is not called
   * again.
   *
   * Delivery is at most once: on Postgres the listening connection is
   * dedicated, and when it is lost it is re-established with backoff (capped
   * at 5 s) and every channel LISTENed again, but notifications sent in the
   * gap are gone. Callers keep a polling fallback. onPayload must not throw
   * (a throw is logged and swallowed).
   */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  /** Idempotent. Ends the listeners first, then the pool (or CHECKPOINT and close on PGlite). */
  close(): Promise<void>;
}

export async function openDatabase(target: DatabaseTarget, log: DatabaseLogger): Promise<Database> {
  return target.engine === "postgres"
    ? openPostgres(target.url, target.poolSize ?? 20, log)
    : openPglite(target, log);
}

async function openPostgres(url: string, poolSize: number, log: DatabaseLogger): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // A burst (thousands of workers reconnecting) queues for a connection rather than failing at once.
    connectionTimeoutMillis: 30_000,
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
  const listener = new PgListener(url, log);
  let closed: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    try {
      await listener.close();
    } finally {
      await kysely.destroy();
    }
  };
  return {
    kysely,
    engine: "postgres",
    description,
    pglite: undefined,
    ping: (timeoutMs) => ping(kysely, timeoutMs),
    listen: (channel, onPayload) => listener.listen(channel, onPayload),
    close: () => (closed ??= close()),
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
  const unlistens = new Set<() => Promise<void>>();
  const listen = async (
    channel: string,
    onPayload: (payload: string) => void,
  ): Promise<() => Promise<void>> => {
    assertChannel(channel);
    if (closed !== undefined || pglite.closed) throw new Error("database: listen after close");
    // A fresh function per call: PGlite keys callbacks in a Set, so one callback
    // listened twice would otherwise be removed by the first unlisten.
    const unlisten = await pglite.listen(channel, (payload) => deliver(log, channel, onPayload, payload));
    let done: Promise<void> | undefined;
    const stop = (): Promise<void> =>
      (done ??= (async () => {
        unlistens.delete(stop);
        if (!pglite.closed) await unlisten().catch(() => undefined);
      })());
    unlistens.add(stop);
    return stop;
  };
  const close = async (): Promise<void> => {
    try {
      await Promise.all([...unlistens].map((stop) => stop()));
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
    listen,
    close: () => (closed ??= close()),
  };
}

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5000;

function assertChannel(channel: string): void {
  if (!CHANNEL_PATTERN.test(channel))
    throw new TypeError(`database: invalid LISTEN channel ${JSON.stringify(channel)}`);
}

function warn(log: DatabaseLogger, obj: object, msg: string): void {
  if (log.warn) log.warn(obj, msg);
  else log.info(obj, msg);
}

function deliver(
  log: DatabaseLogger,
  channel: string,
  onPayload: (payload: string) => void,
  payload: string,
): void {
  try {
    onPayload(payload);
  } catch (err) {
    warn(log, { channel, err }, "database: a notification callback threw");
  }
}

/**
 * LISTEN on Postgres: one dedicated pg.Client (not from the pool, which would
 * hand the session to other queries), created on the first listen. Every
 * operation (listen, unlisten, reconnect, close) runs on one promise chain,
 * so the set of channels and the client's LISTENs never disagree. The client
 * is ended when the last listener goes, and re-created with backoff while
 * listeners exist and it is lost.
 */
class PgListener {
  private readonly channels = new Map<string, Set<(payload: string) => void>>();
  private client: pg.Client | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private reconnectTimer: NodeJS.Timeout | undefined;
  private backoffMs = 0;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly log: DatabaseLogger,
  ) {}

  async listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>> {
    assertChannel(channel);
    return this.serial(async () => {
      if (this.closed) throw new Error("database: listen after close");
      const entry = (payload: string): void => deliver(this.log, channel, onPayload, payload);
      let set = this.channels.get(channel);
      const isNewChannel = set === undefined;
      set ??= new Set();
      this.channels.set(channel, set);
      set.add(entry);
      try {
        // connect() LISTENs on every known channel, this one included.
        if (this.client === undefined) await this.connect();
        else if (isNewChannel) await this.client.query(`LISTEN "${channel}"`);
      } catch (err) {
        set.delete(entry);
        if (set.size === 0) this.channels.delete(channel);
        this.scheduleReconnect();
        throw err;
      }
      let done: Promise<void> | undefined;
      return () => (done ??= this.serial(() => this.remove(channel, entry)));
    });
  }

  /** Ends the client; later listens reject. Waits for the operation in flight. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    await this.serial(async () => {
      this.channels.clear();
      await this.endClient();
    });
  }

  private async remove(channel: string, entry: (payload: string) => void): Promise<void> {
    const set = this.channels.get(channel);
    if (!set?.delete(entry) || set.size > 0) return;
    this.channels.delete(channel);
    if (this.channels.size === 0) {
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = undefined;
      await this.endClient();
    } else {
      // A failure means the connection is gone; 'error'/'end' handles that.
      await this.client?.query(`UNLISTEN "${channel}"`).catch(() => undefined);
    }
  }

  private async endClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  /** Opens a client and LISTENs on every channel; sets this.client only when all succeeded. */
  private async connect(): Promise<void> {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 5000 });
    // Handlers stay attached for the client's life: an 'error' without a listener kills the process.
    client.on("error", (err) => this.lost(client, err));
    client.on("end", () => this.lost(client, undefined));
    // Not gated on this.client === client: a notification may arrive between the
    // last LISTEN and the assignment below. Only one client is ever listening.
    client.on("notification", (msg) => {
      for (const entry of [...(this.channels.get(msg.channel) ?? [])]) entry(msg.payload ?? "");
    });
    try {
      await client.connect();
      for (const channel of this.channels.keys()) await client.query(`LISTEN "${channel}"`);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    this.client = client;
    this.backoffMs = 0;
  }

  private lost(client: pg.Client, err: unknown): void {
    if (this.client !== client) return;
    this.client = undefined;
    void client.end().catch(() => undefined);
    warn(this.log, { err }, "database: LISTEN connection lost; reconnecting");
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.client || this.reconnectTimer || this.channels.size === 0) return;
    this.backoffMs = Math.min(Math.max(this.backoffMs * 2, RECONNECT_MIN_MS), RECONNECT_MAX_MS);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.serial(async () => {
        if (this.closed || this.client || this.channels.size === 0) return;
        try {
          await this.connect();
          this.log.info(
            { channels: [...this.channels.keys()] },
            "database: LISTEN connection re-established",
          );
        } catch (err) {
          this.scheduleReconnect();
          warn(this.log, { err, retryInMs: this.backoffMs }, "database: LISTEN reconnect failed");
        }
      });
    }, this.backoffMs);
    this.reconnectTimer.unref();
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }
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
