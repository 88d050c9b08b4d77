import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hex64, makeUser, unique } from "../../test/helpers/db-fixtures.js";
import { createTestDatabase, type TestDatabase } from "../../test/helpers/test-db.js";
import {
  findActiveSessionByTokenHash,
  insertSession,
  listActiveSessions,
  revokeOtherSessions,
  revokeSession,
} from "./sessions.js";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.dispose());

const db = () => t.db.kysely;
const now = new Date("2030-06-01T12:00:00Z");

async function session(userId: number, expires_at: Date | null = null) {
  return insertSession(db(), { user_id: userId, kind: "web", token_hash: hex64(unique("s")), expires_at });
}

describe("sessions", () => {
  it("finds a session by token hash only while unrevoked and unexpired", async () => {
    const user = await makeUser(db());
    const forever = await session(user.id);
    const expiring = await session(user.id, new Date(now.getTime() + 1000));

    expect((await findActiveSessionByTokenHash(db(), forever.token_hash, now))?.id).toBe(forever.id);
    expect((await findActiveSessionByTokenHash(db(), expiring.token_hash, now))?.id).toBe(expiring.id);
    expect(
      await findActiveSessionByTokenHash(db(), expiring.token_hash, new Date(now.getTime() + 1000)),
    ).toBeUndefined();

    expect(await revokeSession(db(), user.id, forever.id, now)).toBe(true);
    expect(await findActiveSessionByTokenHash(db(), forever.token_hash, now)).toBeUndefined();
    expect(await revokeSession(db(), user.id, forever.id, new Date(now.getTime() + 5000))).toBe(false);
    const stored = await db()
      .selectFrom("sessions")
      .select("revoked_at")
      .where("id", "=", forever.id)
      .executeTakeFirst();
    expect(stored?.revoked_at?.toISOString()).toBe(now.toISOString());
  });

  it("revokes a session only for its owner", async () => {
    const owner = await makeUser(db());
    const stranger = await makeUser(db());
    const s = await session(owner.id);
    expect(await revokeSession(db(), stranger.id, s.id, now)).toBe(false);
    expect((await findActiveSessionByTokenHash(db(), s.token_hash, now))?.id).toBe(s.id);
  });

  it("revokes every other session of the user, or all of them", async () => {
    const user = await makeUser(db());
    const other = await makeUser(db());
    const keep = await session(user.id);
    await session(user.id);
    await session(user.id);
    const othersSession = await session(other.id);

    expect(await revokeOtherSessions(db(), user.id, keep.id, now)).toBe(2);
    expect((await listActiveSessions(db(), user.id, now)).map((s) => s.id)).toEqual([keep.id]);
    expect((await listActiveSessions(db(), other.id, now)).map((s) => s.id)).toEqual([othersSession.id]);

    expect(await revokeOtherSessions(db(), user.id, null, now)).toBe(1);
    expect(await listActiveSessions(db(), user.id, now)).toEqual([]);
  });
});
