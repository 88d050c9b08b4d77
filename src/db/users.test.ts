import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeUser, makeWorker, unique } from "../../test/helpers/db-fixtures.js";
import { createTestDatabase, type TestDatabase } from "../../test/helpers/test-db.js";
import { countUsers, deleteUser, findUserByEmail, findUserById } from "./users.js";
import { findWorkerByApiKeyHash, findWorkerById, findWorkerByName, listWorkers } from "./workers.js";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.dispose());

const db = () => t.db.kysely;

describe("users", () => {
  it("finds users by id and by email in any case, and counts them", async () => {
    const before = await countUsers(db());
    const email = `${unique("alice")}@example.com`;
    const user = await makeUser(db(), email);
    expect(user).toMatchObject({ email, is_admin: false, totp_enabled: false });

    expect(await countUsers(db())).toBe(before + 1);
    expect((await findUserById(db(), user.id))?.email).toBe(email);
    expect((await findUserByEmail(db(), email.toUpperCase()))?.id).toBe(user.id);
    expect(await findUserByEmail(db(), `x${email}`)).toBeUndefined();

    expect(await deleteUser(db(), user.id)).toBe(true);
    expect(await findUserById(db(), user.id)).toBeUndefined();
    expect(await countUsers(db())).toBe(before);
  });
});

describe("workers", () => {
  it("finds workers by id, name and key hash, and lists them by name", async () => {
    const b = await makeWorker(db(), { name: unique("b") });
    const a = await makeWorker(db(), { name: unique("a") });
    expect(a).toMatchObject({ status: "offline", zone: "default", used_cpu_millicores: 0, running_apps: 0 });

    expect((await findWorkerById(db(), a.id))?.name).toBe(a.name);
    expect((await findWorkerByName(db(), b.name))?.id).toBe(b.id);
    expect((await findWorkerByApiKeyHash(db(), a.api_key_hash))?.id).toBe(a.id);
    expect(await findWorkerByName(db(), unique("missing"))).toBeUndefined();
    expect((await listWorkers(db())).map((w) => w.id)).toEqual([a.id, b.id]);
  });
});
