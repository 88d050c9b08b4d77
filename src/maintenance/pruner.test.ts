import { afterAll, beforeAll, expect, it } from "vitest";
import { hex64, makeUser, unique } from "../../test/helpers/db-fixtures.js";
import { createTestDatabase, type TestDatabase } from "../../test/helpers/test-db.js";
import { upsertPendingTotp } from "../db/pending-totps.js";
import { insertSession } from "../db/sessions.js";
import { Pruner } from "./pruner.js";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.dispose());

it("prunes what is due at the injected time, and stop() before start() is safe", async () => {
  const db = t.db.kysely;
  const now = new Date("2031-01-10T00:00:00Z");
  const day = 86_400_000;
  const user = await makeUser(db);
  const other = await makeUser(db);
  await insertSession(db, {
    user_id: user.id,
    kind: "web",
    token_hash: hex64(unique("old")),
    revoked_at: new Date(now.getTime() - 31 * day),
  });
  await insertSession(db, {
    user_id: user.id,
    kind: "api",
    token_hash: hex64(unique("recent")),
    revoked_at: new Date(now.getTime() - day),
  });
  await upsertPendingTotp(db, {
    user_id: user.id,
    secret_enc: "x",
    expires_at: new Date(now.getTime() - 1000),
  });
  await upsertPendingTotp(db, {
    user_id: other.id,
    secret_enc: "y",
    expires_at: new Date(now.getTime() + 60_000),
  });

  const pruner = new Pruner({ db, log: { info: () => undefined, error: () => undefined }, now: () => now });
  await pruner.stop();
  expect(await pruner.runOnce()).toEqual({ sessions: 1, pendingTotps: 1 });
  expect(await pruner.runOnce()).toEqual({ sessions: 0, pendingTotps: 0 });
  const left = await db.selectFrom("pending_totps").select("user_id").execute();
  expect(left.map((r) => r.user_id)).toEqual([other.id]);
});
