import { createHash } from "node:crypto";
import type { Kysely } from "kysely";
import { insertApp, type AppRow, type NewApp } from "../../src/db/apps.js";
import { upsertPlans } from "../../src/db/plans.js";
import type { DB } from "../../src/db/schema.js";
import type { NewUsageSample } from "../../src/db/usage-samples.js";
import { insertUser, type UserRow } from "../../src/db/users.js";
import { insertWorker, type NewWorker, type WorkerRow } from "../../src/db/workers.js";
import { BUCKET_MS, bucketStart } from "../../src/usage/accumulator.js";

/**
 * Row builders for tests of the table modules. Every call makes names unique
 * within the process, so tests sharing one database never collide.
 */

let counter = 0;

/** A process-unique lowercase token, for names, slugs and emails. */
export function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}

/** 64 lowercase hex characters derived from `seed` (token and key hashes). */
export function hex64(seed: string): string {
  return createHash("sha256").update(seed).digest("hex");
}

export const TEST_PLAN = "test-plan";

export async function makeUser(db: Kysely<DB>, email = `${unique("user")}@example.com`): Promise<UserRow> {
  await upsertPlans(db, { [TEST_PLAN]: { max_apps: 5, max_cpu_millicores: 2000, max_memory_mb: 2048 } });
  return insertUser(db, { email, password_hash: "x", plan_name: TEST_PLAN });
}

export function workerValues(overrides: Partial<NewWorker> = {}): NewWorker {
  const name = unique("w");
  return {
    name,
    api_key_hash: hex64(name),
    envelope_key_enc: "enc",
    cpu_millicores: 4000,
    memory_mb: 8192,
    ...overrides,
  };
}

export function makeWorker(db: Kysely<DB>, overrides: Partial<NewWorker> = {}): Promise<WorkerRow> {
  return insertWorker(db, workerValues(overrides));
}

export function makeApp(db: Kysely<DB>, userId: number, overrides: Partial<NewApp> = {}): Promise<AppRow> {
  return insertApp(db, {
    user_id: userId,
    name: "app",
    slug: unique("app"),
    cpu_millicores: 250,
    memory_mb: 256,
    ...overrides,
  });
}

/** One full 5-minute usage bucket of the app starting at `startMs`: CPU at `cpuPct` (max 5 more), 200 MiB, 1.5 Mbit/s. */
export function usageSample(appId: number, userId: number, startMs: number, cpuPct: number): NewUsageSample {
  return {
    app_id: appId,
    user_id: userId,
    bucket_start: new Date(startMs),
    samples: 300,
    cpu_pct_avg: cpuPct,
    cpu_pct_max: cpuPct + 5,
    mem_bytes_avg: 200 * 1024 * 1024,
    mem_bytes_max: 256 * 1024 * 1024,
    net_mbps_avg: 1.5,
    net_mbps_max: 4,
    net_bytes_delta: 50_000_000,
  };
}

/**
 * The app's last two days of full 5-minute buckets before `nowMs`, newest
 * first: the last bucket ends at or before `nowMs`, CPU cycles through 20-29 %.
 */
export function twoDaysOfUsage(appId: number, userId: number, nowMs: number): NewUsageSample[] {
  const last = bucketStart(new Date(nowMs)).getTime() - BUCKET_MS;
  return [...Array(TWO_DAYS_OF_BUCKETS).keys()].map((i) =>
    usageSample(appId, userId, last - i * BUCKET_MS, 20 + (i % 10)),
  );
}
const TWO_DAYS_OF_BUCKETS = (2 * 86_400_000) / BUCKET_MS;

export interface PgErrorFields {
  code: string | undefined;
  constraint: string | undefined;
}

/** Awaits `work` and returns the Postgres error's code and constraint; throws if it did not fail. */
export async function pgError(work: Promise<unknown>): Promise<PgErrorFields> {
  try {
    await work;
  } catch (err) {
    const e = err as { code?: string; constraint?: string };
    return { code: e.code, constraint: e.constraint };
  }
  throw new Error("expected the statement to fail, but it succeeded");
}
