import pg from "pg";
import { sql } from "kysely";
import { afterAll, beforeAll, expect, it } from "vitest";
import { makeUser } from "../../test/helpers/db-fixtures.js";
import { createTestDatabase, testEngine, type TestDatabase } from "../../test/helpers/test-db.js";
import { STUCK_JOBS_LOCK_KEY, WORKER_HEALTH_LOCK_KEY, withTickLock } from "./advisory-lock.js";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.dispose());

it("has distinct keys within the signed 64-bit range", () => {
  expect(STUCK_JOBS_LOCK_KEY).not.toBe(WORKER_HEALTH_LOCK_KEY);
  for (const key of [STUCK_JOBS_LOCK_KEY, WORKER_HEALTH_LOCK_KEY]) {
    expect(key > 0n).toBe(true);
    expect(key < 2n ** 63n).toBe(true);
  }
});

it("runs fn in a committed transaction that holds the lock, twice in a row", async () => {
  const db = t.db.kysely;
  for (const round of [1, 2]) {
    const result = await withTickLock(db, STUCK_JOBS_LOCK_KEY, async (trx) => {
      const held = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM pg_locks
        WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
      `.execute(trx);
      await makeUser(trx, `lock-${round}@example.com`);
      return held.rows[0]?.n;
    });
    expect(result).toBe(1);
  }
  const users = await db.selectFrom("users").select("email").where("email", "like", "lock-%").execute();
  expect(users.map((u) => u.email).sort()).toEqual(["lock-1@example.com", "lock-2@example.com"]);
  // Released at commit: nothing advisory is held by the handle afterwards.
  const after = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM pg_locks
    WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
  `.execute(db);
  expect(after.rows[0]?.n).toBe(0);
});

it("rolls back and releases the lock when fn throws", async () => {
  const db = t.db.kysely;
  await expect(
    withTickLock(db, WORKER_HEALTH_LOCK_KEY, async (trx) => {
      await makeUser(trx, "rolled-back@example.com");
      throw new Error("boom");
    }),
  ).rejects.toThrow("boom");
  expect(
    await db.selectFrom("users").select("id").where("email", "=", "rolled-back@example.com").execute(),
  ).toEqual([]);
  expect(await withTickLock(db, WORKER_HEALTH_LOCK_KEY, () => Promise.resolve("again"))).toBe("again");
});

it.runIf(testEngine === "postgres")(
  "returns undefined without running fn while another session holds the key",
  async () => {
    const other = new pg.Client({ connectionString: t.url });
    await other.connect();
    let ran = false;
    try {
      await other.query("BEGIN");
      await other.query("SELECT pg_advisory_xact_lock($1::bigint)", [STUCK_JOBS_LOCK_KEY.toString()]);
      const result = await withTickLock(t.db.kysely, STUCK_JOBS_LOCK_KEY, () => {
        ran = true;
        return Promise.resolve("ran");
      });
      expect(result).toBeUndefined();
      expect(ran).toBe(false);
      // Another key is not blocked.
      expect(await withTickLock(t.db.kysely, WORKER_HEALTH_LOCK_KEY, () => Promise.resolve(2))).toBe(2);
      await other.query("COMMIT");
    } finally {
      await other.end();
    }
    expect(await withTickLock(t.db.kysely, STUCK_JOBS_LOCK_KEY, () => Promise.resolve(3))).toBe(3);
  },
);
