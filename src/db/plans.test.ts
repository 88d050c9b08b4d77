import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/helpers/test-db.js";
import { findPlan, listPlans, upsertPlans } from "./plans.js";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.dispose());

const db = () => t.db.kysely;

describe("upsertPlans", () => {
  it("inserts new plans, then updates their limits and updated_at", async () => {
    await upsertPlans(db(), {
      free: { max_apps: 1, max_cpu_millicores: 250, max_memory_mb: 256 },
      pro: { max_apps: 10, max_cpu_millicores: 4000, max_memory_mb: 8192 },
    });
    const inserted = await listPlans(db());
    expect(inserted.map((p) => [p.name, p.max_apps, p.max_cpu_millicores, p.max_memory_mb])).toEqual([
      ["free", 1, 250, 256],
      ["pro", 10, 4000, 8192],
    ]);
    const freeBefore = inserted[0];

    // now() is the transaction start; separate statements get later values.
    await new Promise((resolve) => setTimeout(resolve, 5));
    await upsertPlans(db(), { free: { max_apps: 2, max_cpu_millicores: 500, max_memory_mb: 512 } });

    const free = await findPlan(db(), "free");
    expect(free).toMatchObject({ name: "free", max_apps: 2, max_cpu_millicores: 500, max_memory_mb: 512 });
    expect(free?.created_at.getTime()).toBe(freeBefore?.created_at.getTime());
    expect(free?.updated_at.getTime()).toBeGreaterThan(freeBefore?.updated_at.getTime() ?? Infinity);
    // A plan missing from the new set is left as it was.
    expect(await findPlan(db(), "pro")).toMatchObject({ max_apps: 10, max_cpu_millicores: 4000 });
    expect(await listPlans(db())).toHaveLength(2);
  });

  it("does nothing for an empty set and finds nothing for an unknown name", async () => {
    await upsertPlans(db(), {});
    expect(await findPlan(db(), "no-such-plan")).toBeUndefined();
  });
});
