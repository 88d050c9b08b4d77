import type { Migration, MigrationProvider } from "kysely/migration";
import * as m0001 from "./0001_initial.js";
import * as m0002 from "./0002_job_run_after.js";
import * as m0003 from "./0003_invites.js";
import * as m0004 from "./0004_workers_fillfactor.js";

/**
 * Migrations are compiled in (not read from disk), so the same list runs from
 * source under vitest and from dist/ in production. Names sort in order.
 */
export const migrations: Readonly<Record<string, Migration>> = {
  "0001_initial": m0001,
  "0002_job_run_after": m0002,
  "0003_invites": m0003,
  "0004_workers_fillfactor": m0004,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve({ ...migrations }),
};
