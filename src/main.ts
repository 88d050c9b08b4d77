import path from "node:path";
import { HttpListener } from "./api/http-listener.js";
import { createServer } from "./api/server.js";
import { loadConfig } from "./config/load.js";
import { BUILTIN_PLANS, type Config } from "./config/schema.js";
import { openDatabase, type Database } from "./db/database.js";
import { migrateToLatest } from "./db/migrate.js";
import { upsertPlans } from "./db/plans.js";
import { startAll, stopAll, type Service } from "./lifecycle.js";
import { createLogger, type Logger } from "./log.js";
import { Pruner } from "./maintenance/pruner.js";

export interface StartOptions {
  configPath?: string | undefined;
  env: NodeJS.ProcessEnv;
  /** Where logs go (stdout by default). */
  logDestination?: NodeJS.WritableStream;
}

export interface RunningServer {
  config: Config;
  db: Database;
  log: Logger;
  /** The URL the server answers on (the bound port when listen used port 0). */
  url: string;
  /** Stops every part in reverse start order, then closes the database. Idempotent. */
  stop(): Promise<void>;
}

/**
 * The composition root (DESIGN.md 4.1). Order matters: configuration first
 * (nothing else may start on a bad one), then the database and its
 * migrations (every part needs the schema), then the background parts, and
 * the HTTP listener last, so nothing is served before it can be answered.
 * stop() runs the same list backwards and closes the database last.
 */
export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const config = await loadConfig({ configPath: opts.configPath, env: opts.env });
  const log = createLogger(config.log.level, opts.logDestination);
  const now = (): Date => new Date();

  const db = await openDatabase(
    config.database.url
      ? { engine: "postgres", url: config.database.url }
      : { engine: "pglite", dataDir: path.join(config.data_dir, "db") },
    log,
  );
  const services: Service[] = [{ name: "database", start: () => Promise.resolve(), stop: () => db.close() }];
  try {
    await migrateToLatest(db, log);
    await upsertPlans(db.kysely, { ...BUILTIN_PLANS, ...config.plans });
  } catch (err) {
    await db.close();
    throw err;
  }

  const app = createServer({ config, db, log, now });
  const listener = new HttpListener(app, config.server.listen);
  services.push(new Pruner({ db: db.kysely, log, now }), listener);

  await startAll(services, log);

  let stopping: Promise<void> | undefined;
  const scheme = config.server.tls_cert ? "https" : "http";
  const bound = listener.address;
  const url = bound
    ? `${scheme}://${bound.host.includes(":") ? `[${bound.host}]` : bound.host}:${bound.port}`
    : "";
  return {
    config,
    db,
    log,
    url,
    stop: () => (stopping ??= stopAll(services, log)),
  };
}

/** The block printed once the server is up: where to go, where things are. */
export function startupBanner(server: RunningServer): string {
  const c = server.config;
  return [
    "",
    "wisehosting control plane is running",
    `  URL:          ${server.url}   (public URL ${c.server.public_url})`,
    `  data dir:     ${c.data_dir}`,
    `  database:     ${server.db.description}`,
    `  secret:       ${c.secretSources.api_server}`,
    `  proxy token:  ${c.secretSources.proxy}`,
    `  health:       ${server.url}/health`,
    "",
  ].join("\n");
}
