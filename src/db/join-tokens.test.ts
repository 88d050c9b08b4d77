import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hex64, makeUser, makeWorker, unique } from "../../test/helpers/db-fixtures.js";
import { createTestDatabase, type TestDatabase } from "../../test/helpers/test-db.js";
import { consumeJoinToken, findJoinTokenById, insertJoinToken } from "./join-tokens.js";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.dispose());

const db = () => t.db.kysely;
const now = new Date("2030-06-01T12:00:00Z");
const later = (ms: number) => new Date(now.getTime() + ms);

describe("consumeJoinToken", () => {
  it("consumes a token exactly once", async () => {
    const admin = await makeUser(db());
    const worker = await makeWorker(db());
    const hash = hex64(unique("join"));
    const token = await insertJoinToken(db(), {
      token_hash: hash,
      created_by: admin.id,
      expires_at: later(60_000),
    });
    expect(token.used_at).toBeNull();

    const first = await consumeJoinToken(db(), hash, now, worker.id);
    expect(first?.id).toBe(token.id);
    expect(first?.used_at?.toISOString()).toBe(now.toISOString());
    expect(first?.used_by_worker_id).toBe(worker.id);

    expect(await consumeJoinToken(db(), hash, later(1000), null)).toBeUndefined();
    const stored = await findJoinTokenById(db(), token.id);
    expect(stored?.used_at?.toISOString()).toBe(now.toISOString());
    expect(stored?.used_by_worker_id).toBe(worker.id);
  });

  it("lets only one of several concurrent callers consume a token", async () => {
    const hash = hex64(unique("join"));
    await insertJoinToken(db(), { token_hash: hash, created_by: null, expires_at: later(60_000) });
    const results = await Promise.all([1, 2, 3, 4].map(() => consumeJoinToken(db(), hash, now, null)));
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
  });

  it("does not consume an expired token, nor an unknown one", async () => {
    const hash = hex64(unique("join"));
    const token = await insertJoinToken(db(), { token_hash: hash, created_by: null, expires_at: now });
    expect(await consumeJoinToken(db(), hash, now, null)).toBeUndefined();
    expect(await consumeJoinToken(db(), hash, later(1), null)).toBeUndefined();
    expect((await findJoinTokenById(db(), token.id))?.used_at).toBeNull();
    // Still usable just before its expiry: the refusal above was the expiry, not the token.
    expect((await consumeJoinToken(db(), hash, later(-1), null))?.id).toBe(token.id);

    expect(await consumeJoinToken(db(), hex64(unique("never-issued")), now, null)).toBeUndefined();
  });
});
