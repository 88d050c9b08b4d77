import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppRow } from "../../src/db/apps.js";
import { BUCKET_MS, bucketStart } from "../../src/usage/accumulator.js";
import { signUp, type ApiClient } from "../helpers/api-client.js";
import { startTestControlPlane, type TestControlPlane } from "../helpers/control-plane.js";
import { makeApp } from "../helpers/db-fixtures.js";

let cp: TestControlPlane;
let alice: ApiClient;
let bob: ApiClient;
let aliceApp: AppRow;
let bobApp: AppRow;
/** Bucket starts relative to the test's start: 10 minutes, 2 hours and 30 hours ago. */
let recent: Date;
let twoHours: Date;
let yesterday: Date;

const HOUR = 3_600_000;

async function userId(c: ApiClient): Promise<number> {
  return ((await c.get("/me")).body as { user: { id: number } }).user.id;
}

function sample(app: AppRow, start: Date, cpu: number) {
  return {
    app_id: app.id,
    user_id: app.user_id,
    bucket_start: start,
    samples: 10,
    cpu_pct_avg: cpu,
    cpu_pct_max: cpu * 2,
    mem_bytes_avg: 1000,
    mem_bytes_max: 2000,
    net_mbps_avg: 0.5,
    net_mbps_max: 1.5,
    net_bytes_delta: 4096,
  };
}

beforeAll(async () => {
  cp = await startTestControlPlane({}, { WISEHOSTING_AUTH_OPEN_SIGNUP: "true" });
  alice = await signUp(cp.url, "alice@example.com");
  bob = await signUp(cp.url, "bob@example.com");
  const db = cp.t.db.kysely;
  aliceApp = await makeApp(db, await userId(alice));
  bobApp = await makeApp(db, await userId(bob));
  const now = Date.now();
  recent = bucketStart(new Date(now - 10 * 60_000));
  twoHours = bucketStart(new Date(now - 2 * HOUR));
  yesterday = bucketStart(new Date(now - 30 * HOUR));
  await db
    .insertInto("usage_samples")
    .values([
      sample(aliceApp, yesterday, 1),
      sample(aliceApp, twoHours, 2),
      sample(aliceApp, recent, 3),
      sample(bobApp, recent, 99),
    ])
    .execute();
});
afterAll(() => cp.stop());

const starts = (body: { buckets: { start: string }[] }) => body.buckets.map((b) => b.start);

describe("GET /apps/:slug/usage", () => {
  it("defaults to the last 24 hours, oldest first", async () => {
    const r = await alice.get(`/apps/${aliceApp.slug}/usage`);
    expect(r.status).toBe(200);
    expect(r.body.bucket_seconds).toBe(300);
    expect(starts(r.body)).toEqual([twoHours.toISOString(), recent.toISOString()]);
    expect(r.body.buckets[1]).toEqual({
      start: recent.toISOString(),
      cpu_pct_avg: 3,
      cpu_pct_max: 6,
      mem_bytes_avg: 1000,
      mem_bytes_max: 2000,
      net_mbps_avg: 0.5,
      net_mbps_max: 1.5,
      net_bytes: 4096,
    });
  });

  it("serves an explicit range, including the bucket that holds from", async () => {
    const from = new Date(yesterday.getTime() + BUCKET_MS / 2).toISOString();
    const to = new Date(yesterday.getTime() + HOUR).toISOString();
    const r = await alice.get(`/apps/${aliceApp.slug}/usage?from=${from}&to=${to}`);
    expect(r.status).toBe(200);
    expect(starts(r.body)).toEqual([yesterday.toISOString()]);
    // `to` is exclusive of buckets starting at it; offsets other than Z are accepted.
    const wide = await alice.get(
      `/apps/${aliceApp.slug}/usage?from=${encodeURIComponent(toOffset(new Date(yesterday.getTime() - HOUR)))}&to=${twoHours.toISOString()}`,
    );
    expect(wide.status).toBe(200);
    expect(starts(wide.body)).toEqual([yesterday.toISOString()]);
  });

  it.each([
    ["to in the future", () => `to=${new Date(Date.now() + HOUR).toISOString()}`, "to"],
    ["from after to", () => `from=${iso(-HOUR)}&to=${iso(-2 * HOUR)}`, "from"],
    ["from equal to to", () => `from=${iso(-HOUR)}&to=${iso(-HOUR)}`, "from"],
    ["more than 90 days", () => `from=${iso(-91 * 24 * HOUR)}`, "from"],
    ["a malformed from", () => "from=yesterday", "from"],
    ["a date without time", () => "to=2025-01-01", "to"],
  ])("refuses %s with a 400 naming the field", async (_what, query, field) => {
    const r = await alice.get(`/apps/${aliceApp.slug}/usage?${query()}`);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("invalid_request");
    expect(r.body.error.message).toMatch(new RegExp(`^${field}: `));
  });

  it("accepts exactly 90 days", async () => {
    const to = new Date(Date.now() - HOUR);
    const from = new Date(to.getTime() - 90 * 24 * HOUR);
    const r = await alice.get(
      `/apps/${aliceApp.slug}/usage?from=${from.toISOString()}&to=${to.toISOString()}`,
    );
    expect(r.status).toBe(200);
    expect(starts(r.body)).toEqual([yesterday.toISOString(), twoHours.toISOString()]);
  });

  it("treats another user's app as missing", async () => {
    expect((await alice.get(`/apps/${bobApp.slug}/usage`)).status).toBe(404);
    const own = await bob.get(`/apps/${bobApp.slug}/usage`);
    expect(own.body.buckets.map((b: { cpu_pct_avg: number }) => b.cpu_pct_avg)).toEqual([99]);
  });
});

describe("GET /apps/:slug/stats", () => {
  it("is null without a fresh snapshot, then the snapshot", async () => {
    expect((await alice.get(`/apps/${aliceApp.slug}/stats`)).body).toEqual({ stats: null });
    const updatedAt = new Date("2025-03-01T12:00:00Z");
    cp.parts.stats.put(aliceApp.id, {
      cpuPct: 12.5,
      memBytes: 1_000_000,
      memLimit: 268_435_456,
      netMbps: 0.4,
      netTotalBytes: 123_456,
      diskMbps: 0.1,
      updatedAt,
    });
    const r = await alice.get(`/apps/${aliceApp.slug}/stats`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      stats: {
        cpu_pct: 12.5,
        mem_bytes: 1_000_000,
        mem_limit: 268_435_456,
        net_mbps: 0.4,
        net_total_bytes: 123_456,
        disk_mbps: 0.1,
        updated_at: updatedAt.toISOString(),
      },
    });
  });

  it("treats another user's app as missing", async () => {
    cp.parts.stats.put(bobApp.id, {
      cpuPct: 1,
      memBytes: 1,
      memLimit: 1,
      netMbps: 1,
      netTotalBytes: 1,
      diskMbps: 1,
      updatedAt: new Date(),
    });
    expect((await alice.get(`/apps/${bobApp.slug}/stats`)).status).toBe(404);
    expect((await bob.get(`/apps/${bobApp.slug}/stats`)).body.stats.cpu_pct).toBe(1);
  });
});

function iso(offsetMs: number): string {
  return new Date(Date.now() + offsetMs).toISOString();
}

/** The same instant written with a +02:00 offset. */
function toOffset(d: Date): string {
  return new Date(d.getTime() + 2 * HOUR).toISOString().replace("Z", "+02:00");
}

it("documents the routes in the OpenAPI document", async () => {
  const doc = await alice.get("/openapi.json");
  expect(doc.status).toBe(200);
  const paths = Object.keys(doc.body.paths as Record<string, unknown>);
  for (const p of [
    "/apps/{slug}/usage",
    "/apps/{slug}/stats",
    "/apps/{slug}/domains/{hostname}/verify",
    "/webhooks/{id}/deliveries",
    "/alerts",
  ]) {
    expect(
      paths.some((x) => x.endsWith(p)),
      p,
    ).toBe(true);
  }
  const usage = JSON.stringify(doc.body.paths[paths.find((x) => x.endsWith("/apps/{slug}/usage"))!]);
  expect(usage).toContain('"from"');
});
