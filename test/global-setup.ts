import { execFileSync } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openDatabase } from "../src/db/database.js";
import { migrateToLatest } from "../src/db/migrate.js";

const silent = { info: () => undefined };

/**
 * Before the suite: builds dist/ once, the server and the dashboard (tests
 * that start the real `wisehosting` binary, or drive the dashboard in a
 * browser, run the code under test), and on PGlite migrates one template
 * database and dumps it, so each test file loads it in about a second.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const root = fileURLToPath(new URL("..", import.meta.url));
  execFileSync(
    process.execPath,
    [path.join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"],
    {
      cwd: root,
      stdio: "inherit",
    },
  );
  execFileSync(
    process.execPath,
    [
      path.join(root, "node_modules/vite/bin/vite.js"),
      "build",
      "--config",
      "dashboard/vite.config.ts",
      "--logLevel",
      "warn",
    ],
    // A production build, as `npm run build` makes: vitest sets NODE_ENV=test, which would
    // otherwise bundle React's development build.
    { cwd: root, stdio: "inherit", env: { ...process.env, NODE_ENV: "production" } },
  );
  if (process.env.TEST_DATABASE_URL) return () => Promise.resolve();

  const db = await openDatabase({ engine: "pglite", dataDir: undefined }, silent);
  await migrateToLatest(db, silent);
  const dump = await db.pglite!.dumpDataDir("none");
  await db.close();
  const file = path.join(tmpdir(), `wisehosting-test-template-${process.pid}.tar`);
  await writeFile(file, Buffer.from(await dump.arrayBuffer()));
  process.env.WISEHOSTING_TEST_TEMPLATE = file;
  return () => rm(file, { force: true });
}
