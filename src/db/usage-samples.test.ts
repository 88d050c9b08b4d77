import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeApp, makeUser } from "../../test/helpers/db-fixtures.js";
import { createTestDatabase, type TestDatabase } from "../../test/helpers/test-db.js";
import { listUsageSamplesByApp, upsertUsageSamples, type NewUsageSample } from "./usage-samples.js";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.dispose());

const db = () => t.db.kysely;
const bucket = new Date("2030-06-01T12:00:00Z");

describe("upsertUsageSamples", () => {
  it("merges into an existing bucket: sums, sample-weighted averages, maxima", async () => {
    const user = await makeUser(db());
    const app = await makeApp(db(), user.id);
    const base = { app_id: app.id, user_id: user.id, bucket_start: bucket };
    const first: NewUsageSample = {
      ...base,
      samples: 1,
      cpu_pct_avg: 10,
      cpu_pct_max: 50,
      mem_bytes_avg: 1000,
      mem_bytes_max: 4000,
      net_mbps_avg: 2,
      net_mbps_max: 3,
      net_bytes_delta: 100,
    };
    const second: NewUsageSample = {
      ...base,
      samples: 3,
      cpu_pct_avg: 30,
      cpu_pct_max: 40,
      mem_bytes_avg: 2000,
      mem_bytes_max: 5000,
      net_mbps_avg: 6,
      net_mbps_max: 2,
      net_bytes_delta: 50,
    };
    const nextBucket = { ...first, bucket_start: new Date(bucket.getTime() + 5 * 60_000) };

    await upsertUsageSamples(db(), [first]);
    await upsertUsageSamples(db(), [second, nextBucket]);

    const rows = await listUsageSamplesByApp(db(), app.id, bucket);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual({
      ...base,
      samples: 4,
      cpu_pct_avg: 25, // (10·1 + 30·3) / 4
      cpu_pct_max: 50,
      mem_bytes_avg: 1750, // (1000·1 + 2000·3) / 4
      mem_bytes_max: 5000,
      net_mbps_avg: 5, // (2·1 + 6·3) / 4
      net_mbps_max: 3,
      net_bytes_delta: 150,
    });
    expect(rows[1]).toEqual(nextBucket);
  });

  it("accepts an empty batch", async () => {
    await expect(upsertUsageSamples(db(), [])).resolves.toBeUndefined();
  });
});
