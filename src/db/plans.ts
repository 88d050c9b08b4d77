import { sql, type Kysely, type Selectable } from "kysely";
import type { DB, PlansTable } from "./schema.js";

export type PlanRow = Selectable<PlansTable>;

/** The limits of one plan, as configured. */
export interface PlanLimits {
  max_apps: number;
  max_cpu_millicores: number;
  max_memory_mb: number;
}

/**
 * Makes the stored plans match `plans` (keyed by name) in one statement:
 * new names are inserted, existing ones get the given limits and a fresh
 * updated_at. Plans absent from `plans` are left alone (users may still
 * reference them).
 */
export async function upsertPlans(db: Kysely<DB>, plans: Record<string, PlanLimits>): Promise<void> {
  const rows = Object.entries(plans).map(([name, p]) => ({
    name,
    max_apps: p.max_apps,
    max_cpu_millicores: p.max_cpu_millicores,
    max_memory_mb: p.max_memory_mb,
  }));
  if (rows.length === 0) return;
  await db
    .insertInto("plans")
    .values(rows)
    .onConflict((oc) =>
      oc.column("name").doUpdateSet((eb) => ({
        max_apps: eb.ref("excluded.max_apps"),
        max_cpu_millicores: eb.ref("excluded.max_cpu_millicores"),
        max_memory_mb: eb.ref("excluded.max_memory_mb"),
        updated_at: sql<Date>`now()`,
      })),
    )
    .execute();
}

export function findPlan(db: Kysely<DB>, name: string): Promise<PlanRow | undefined> {
  return db.selectFrom("plans").selectAll().where("name", "=", name).executeTakeFirst();
}

/** Every plan, ordered by name. */
export function listPlans(db: Kysely<DB>): Promise<PlanRow[]> {
  return db.selectFrom("plans").selectAll().orderBy("name").execute();
}

/** A plan with how many users are on it. */
export type PlanWithUserCount = PlanRow & { users: number };

/** Every plan with its user count, ordered by name. */
export function listPlansWithUserCounts(db: Kysely<DB>): Promise<PlanWithUserCount[]> {
  return db
    .selectFrom("plans")
    .selectAll("plans")
    .select((eb) =>
      eb
        .selectFrom("users")
        .select(sql<number>`count(*)::int`.as("n"))
        .whereRef("users.plan_name", "=", "plans.name")
        .as("users"),
    )
    .orderBy("plans.name")
    .execute() as Promise<PlanWithUserCount[]>;
}

/** Creates the plan or replaces its limits (one statement); returns the stored row. */
export function putPlan(db: Kysely<DB>, name: string, limits: PlanLimits): Promise<PlanRow> {
  return db
    .insertInto("plans")
    .values({ name, ...limits })
    .onConflict((oc) =>
      oc.column("name").doUpdateSet((eb) => ({
        max_apps: eb.ref("excluded.max_apps"),
        max_cpu_millicores: eb.ref("excluded.max_cpu_millicores"),
        max_memory_mb: eb.ref("excluded.max_memory_mb"),
        updated_at: sql<Date>`now()`,
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}
