import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hex64, makeApp, makeUser, unique } from "../../test/helpers/db-fixtures.js";
import { createTestDatabase, type TestDatabase } from "../../test/helpers/test-db.js";
import { findPendingTotp, prunePendingTotps, upsertPendingTotp } from "./pending-totps.js";
import { insertSession, pruneRevokedSessions } from "./sessions.js";
import {
  listUsageSamplesByApp,
  pruneUsageSamples,
  upsertUsageSamples,
  type NewUsageSample,
} from "./usage-samples.js";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.dispose());

const db = () => t.db.kysely;
const DAY = 24 * 60 * 60 * 1000;
const now = new Date("2030-06-01T12:00:00Z");
const daysAgo = (days: number) => new Date(now.getTime() - days * DAY);

describe("pruneRevokedSessions", () => {
  it("deletes sessions revoked or expired before the cutoff and keeps the rest", async () => {
    const user = await makeUser(db());
    const session = (label: string, times: { revoked_at?: Date; expires_at?: Date }) =>
      insertSession(db(), { user_id: user.id, kind: "web", token_hash: hex64(unique(label)), ...times });
    const revoked31 = await session("r31", { revoked_at: daysAgo(31) });
    const expired31 = await session("e31", { expires_at: daysAgo(31) });
    const revoked29 = await session("r29", { revoked_at: daysAgo(29) });
    const expired29 = await session("e29", { expires_at: daysAgo(29) });
    const active = await session("active", {});
    const unexpired = await session("unexpired", { expires_at: daysAgo(-7) });

    const deleted = await pruneRevokedSessions(db(), daysAgo(30));

    expect(deleted).toBe(2);
    const left = await db()
      .selectFrom("sessions")
      .select("id")
      .where("user_id", "=", user.id)
      .orderBy("id")
      .execute();
    expect(left.map((r) => r.id)).toEqual([revoked29.id, expired29.id, active.id, unexpired.id]);
    expect(left.map((r) => r.id)).not.toContain(revoked31.id);
    expect(left.map((r) => r.id)).not.toContain(expired31.id);
    expect(await pruneRevokedSessions(db(), daysAgo(30))).toBe(0);
  });
});

describe("prunePendingTotps", () => {
  it("deletes set-ups expired at now and keeps unexpired ones", async () => {
    const expired = await makeUser(db());
    const expiringNow = await makeUser(db());
    const fresh = await makeUser(db());
    await upsertPendingTotp(db(), { user_id: expired.id, secret_enc: "a", expires_at: daysAgo(1) });
    await upsertPendingTotp(db(), { user_id: expiringNow.id, secret_enc: "b", expires_at: now });
    await upsertPendingTotp(db(), {
      user_id: fresh.id,
      secret_enc: "c",
      expires_at: new Date(now.getTime() + 60_000),
    });

    expect(await prunePendingTotps(db(), now)).toBe(2);

    const left = await db().selectFrom("pending_totps").select("user_id").orderBy("user_id").execute();
    expect(left.map((r) => r.user_id)).toEqual([fresh.id]);
    expect((await findPendingTotp(db(), fresh.id, now))?.secret_enc).toBe("c");
  });
});

describe("pruneUsageSamples", () => {
  it("deletes buckets starting before the cutoff", async () => {
    const user = await makeUser(db());
    const app = await makeApp(db(), user.id);
    const bucket = (start: Date): NewUsageSample => ({
      app_id: app.id,
      user_id: user.id,
      bucket_start: start,
      samples: 1,
      cpu_pct_avg: 1,
      cpu_pct_max: 1,
      mem_bytes_avg: 1,
      mem_bytes_max: 1,
      net_mbps_avg: 1,
      net_mbps_max: 1,
      net_bytes_delta: 1,
    });
    await upsertUsageSamples(db(), [bucket(daysAgo(91)), bucket(daysAgo(90)), bucket(daysAgo(89))]);

    expect(await pruneUsageSamples(db(), daysAgo(90))).toBe(1);

    const left = await listUsageSamplesByApp(db(), app.id, daysAgo(365));
    expect(left.map((r) => r.bucket_start.toISOString())).toEqual([
      daysAgo(90).toISOString(),
      daysAgo(89).toISOString(),
    ]);
  });
});
