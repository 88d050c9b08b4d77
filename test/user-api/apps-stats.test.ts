import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LiveAppStats } from "../../src/api/stats-store.js";
import type { AppRow } from "../../src/db/apps.js";
import { signUp, type ApiClient } from "../helpers/api-client.js";
import { startTestControlPlane, type TestControlPlane } from "../helpers/control-plane.js";
import { makeApp } from "../helpers/db-fixtures.js";

/** GET /apps-stats: the live stats of all the caller's apps in one answer (the dashboard's apps list). */

let cp: TestControlPlane;
let alice: ApiClient;
let bob: ApiClient;
let shop: AppRow;
let quiet: AppRow;
let gone: AppRow;
let bobs: AppRow;

async function userId(c: ApiClient): Promise<number> {
  return ((await c.get("/me")).body as { user: { id: number } }).user.id;
}

function live(cpuPct: number, updatedAt = new Date("2025-03-01T12:00:00Z")): LiveAppStats {
  return {
    cpuPct,
    memBytes: 1_000_000,
    memLimit: 268_435_456,
    netMbps: 0.4,
    netTotalBytes: 123_456,
    diskMbps: 0.1,
    updatedAt,
  };
}

beforeAll(async () => {
  cp = await startTestControlPlane({}, { WISEHOSTING_AUTH_OPEN_SIGNUP: "true" });
  alice = await signUp(cp.url, "alice@example.com");
  bob = await signUp(cp.url, "bob@example.com");
  const db = cp.t.db.kysely;
  const aliceId = await userId(alice);
  shop = await makeApp(db, aliceId, { slug: "alice-shop" });
  quiet = await makeApp(db, aliceId, { slug: "alice-quiet" });
  gone = await makeApp(db, aliceId, { slug: "alice-gone", status: "deleted" });
  bobs = await makeApp(db, await userId(bob), { slug: "bob-shop" });
});

afterAll(() => cp?.stop());

describe("GET /apps-stats", () => {
  it("is an empty map while no app has fresh stats", async () => {
    const r = await alice.get("/apps-stats");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ stats: {} });
  });

  it("keys the caller's apps with fresh stats by slug, leaving out the rest and other users' apps", async () => {
    cp.parts.stats.put(shop.id, live(12.5));
    cp.parts.stats.put(gone.id, live(50));
    cp.parts.stats.put(bobs.id, live(99));
    const r = await alice.get("/apps-stats");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      stats: {
        "alice-shop": {
          cpu_pct: 12.5,
          mem_bytes: 1_000_000,
          mem_limit: 268_435_456,
          net_mbps: 0.4,
          net_total_bytes: 123_456,
          disk_mbps: 0.1,
          updated_at: "2025-03-01T12:00:00.000Z",
        },
      },
    });
    expect(Object.keys(r.body.stats)).not.toContain(quiet.slug);
    const b = await bob.get("/apps-stats");
    expect(Object.keys(b.body.stats)).toEqual(["bob-shop"]);
    expect(b.body.stats["bob-shop"].cpu_pct).toBe(99);
  });

  it("is refused without a session, and documented in the OpenAPI document", async () => {
    const anon = await fetch(`${cp.url}/api/v1/apps-stats`);
    expect(anon.status).toBe(401);
    const doc = await alice.get("/openapi.json");
    expect(
      Object.keys(doc.body.paths as Record<string, unknown>).some((p) => p.endsWith("/apps-stats")),
    ).toBe(true);
  });
});
