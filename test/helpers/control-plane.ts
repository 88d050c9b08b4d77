import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { HttpListener } from "../../src/api/http-listener.js";
import { loadConfig } from "../../src/config/load.js";
import { BUILTIN_PLANS, type Config } from "../../src/config/schema.js";
import { openDatabase } from "../../src/db/database.js";
import { upsertPlans } from "../../src/db/plans.js";
import { startAll, stopAll } from "../../src/lifecycle.js";
import { createLogger } from "../../src/log.js";
import { buildControlPlane, type BuildOverrides, type ControlPlaneParts } from "../../src/main.js";
import { createTestDatabase, silentLog, type TestDatabase } from "./test-db.js";

export const TEST_SECRET = "test-master-secret-0123456789abcdef";

export interface TestControlPlane {
  url: string;
  config: Config;
  t: TestDatabase;
  parts: ControlPlaneParts;
  stop(): Promise<void>;
}

/**
 * A control plane in this process on a fresh test database, listening on a
 * free loopback port: the real composition (buildControlPlane) without the
 * embedded initdb that startServer would do. With `replicaOf` (PostgreSQL
 * only) it is a second replica on that control plane's database, through
 * its own connections; its stop() closes them and leaves the database.
 */
export async function startTestControlPlane(
  overrides: BuildOverrides = {},
  env: Record<string, string> = {},
  opts: { replicaOf?: TestControlPlane } = {},
): Promise<TestControlPlane> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "wh-cp-"));
  const config = await loadConfig({
    env: {
      WISEHOSTING_DATA_DIR: dataDir,
      WISEHOSTING_LISTEN: "127.0.0.1:0",
      WISEHOSTING_SECRET: TEST_SECRET,
      ...env,
    },
  });
  const t = opts.replicaOf ? await replicaDatabase(opts.replicaOf.t) : await createTestDatabase();
  // What startServer does after migrating: the plans users are assigned.
  await upsertPlans(t.db.kysely, { ...BUILTIN_PLANS, ...config.plans });
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? "silent");
  const plane = buildControlPlane(config, t.db, log, overrides);
  const listener = new HttpListener(plane.app, config.server.listen);
  const services = [...plane.services, listener];
  await startAll(services, log);
  let stopped: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${listener.address?.port ?? 0}`,
    config,
    t,
    parts: plane.parts,
    stop: () =>
      (stopped ??= (async () => {
        await stopAll(services, log);
        await t.dispose();
      })()),
  };
}

/** Own connections to another test database (PostgreSQL); dispose closes them only. */
async function replicaDatabase(of: TestDatabase): Promise<TestDatabase> {
  if (!of.url) throw new Error("a replica needs a PostgreSQL test database (TEST_DATABASE_URL)");
  const db = await openDatabase({ engine: "postgres", url: of.url, poolSize: 8 }, silentLog);
  return { db, url: of.url, dispose: () => db.close() };
}
