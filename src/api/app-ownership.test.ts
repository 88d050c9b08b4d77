import type { KyselyPlugin } from "kysely";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { makeApp, makeUser, makeWorker } from "../../test/helpers/db-fixtures.js";
import { createTestDatabase, type TestDatabase } from "../../test/helpers/test-db.js";
import { AppOwnership, OwnershipQuery } from "./app-ownership.js";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.dispose());

/**
 * Counts the statements run through the returned handle, and the results
 * they returned: once `results` has counted a lookup's statement, what the
 * lookup does with its answer has happened too (only promise callbacks lie
 * between, and they all run before a timer, such as vi.waitFor's next check).
 */
function counted() {
  const seen = { statements: 0, results: 0 };
  const plugin: KyselyPlugin = {
    transformQuery: (args) => {
      seen.statements++;
      return args.node;
    },
    transformResult: (args) => {
      seen.results++;
      return Promise.resolve(args.result);
    },
  };
  return { db: t.db.kysely.withPlugin(plugin), seen };
}

/** app_stats entries naming these apps, as allOwnedIfKnown takes them. */
const entries = (...appIds: number[]) => appIds.map((id) => ({ app_id: id }));
/** vi.waitFor gives up after 1 s by default, too soon for a query on a loaded machine. */
const WAIT = { timeout: 10_000 };

describe("OwnershipQuery", () => {
  it("answers lookups of several workers made together with one statement, each with its own apps", async () => {
    const user = await makeUser(t.db.kysely);
    const [w1, w2, w3] = await Promise.all([1, 2, 3].map(() => makeWorker(t.db.kysely)));
    const a1 = await makeApp(t.db.kysely, user.id, { worker_id: w1!.id });
    const a2 = await makeApp(t.db.kysely, user.id, { worker_id: w2!.id });
    const unplaced = await makeApp(t.db.kysely, user.id);
    const { db, seen } = counted();
    const query = new OwnershipQuery(db);
    const all = [a1.id, a2.id, unplaced.id, 999_999];
    const [of1, of2, of3] = await Promise.all([
      query.owned(w1!.id, all),
      query.owned(w2!.id, all),
      query.owned(w3!.id, all),
    ]);
    expect(seen.statements).toBe(1);
    expect([...of1]).toEqual([a1.id]);
    expect([...of2]).toEqual([a2.id]);
    expect([...of3]).toEqual([]);
  });

  it("feeds AppOwnership, whose cache then answers without a statement", async () => {
    const user = await makeUser(t.db.kysely);
    const worker = await makeWorker(t.db.kysely);
    const app = await makeApp(t.db.kysely, user.id, { worker_id: worker.id });
    const { db, seen } = counted();
    const ownership = new AppOwnership({ db, workerId: worker.id, query: new OwnershipQuery(db) });
    expect(ownership.allOwnedIfKnown(entries(app.id))).toBeUndefined();
    expect([...(await ownership.owned([app.id, app.id + 1000]))]).toEqual([app.id]);
    expect(ownership.allOwnedIfKnown(entries(app.id))).toBe(true);
    expect(ownership.allOwnedIfKnown(entries(app.id, app.id + 1000))).toBe(false);
    expect(ownership.allOwnedIfKnown(entries(app.id, app.id + 2000))).toBeUndefined();
    expect(seen.statements).toBe(1);
    ownership.invalidate();
    expect(ownership.allOwnedIfKnown(entries(app.id))).toBeUndefined();
  });

  it("refreshes an ageing answer in the background, never serves one past its TTL, and drops a refresh begun before invalidate", async () => {
    const user = await makeUser(t.db.kysely);
    const worker = await makeWorker(t.db.kysely);
    const app = await makeApp(t.db.kysely, user.id, { worker_id: worker.id });
    const { db, seen } = counted();
    let now = 1_000_000;
    const ownership = new AppOwnership({ db, workerId: worker.id, now: () => now, ttlMs: 5000 });
    await ownership.owned([app.id]);
    now += 3100; // past 60% of the TTL: served, and refreshed behind the scenes
    expect(ownership.allOwnedIfKnown(entries(app.id))).toBe(true);
    now += 2400; // 5.5 s after the first answer, 2.4 s after the refresh was asked
    await vi.waitFor(() => expect(ownership.allOwnedIfKnown(entries(app.id))).toBe(true), WAIT);
    expect(seen.statements).toBe(2);
    now += 5000; // every answer is now at least 5 s old
    expect(ownership.allOwnedIfKnown(entries(app.id))).toBeUndefined();

    await ownership.owned([app.id]);
    now += 3100;
    ownership.allOwnedIfKnown(entries(app.id)); // starts a refresh
    ownership.invalidate();
    await vi.waitFor(() => expect(seen.results).toBe(4), WAIT);
    expect(ownership.allOwnedIfKnown(entries(app.id))).toBeUndefined();
  });
  it("forget drops one app's answer; a refresh begun before it keeps nothing about that app and all about the others", async () => {
    const user = await makeUser(t.db.kysely);
    const worker = await makeWorker(t.db.kysely);
    const a1 = await makeApp(t.db.kysely, user.id, { worker_id: worker.id });
    const a2 = await makeApp(t.db.kysely, user.id, { worker_id: worker.id });
    const { db, seen } = counted();
    let now = 1_000_000;
    const ownership = new AppOwnership({ db, workerId: worker.id, now: () => now, ttlMs: 5000 });
    await ownership.owned([a1.id, a2.id]);
    ownership.forget(a1.id);
    expect(ownership.allOwnedIfKnown(entries(a1.id))).toBeUndefined();
    expect(ownership.allOwnedIfKnown(entries(a2.id))).toBe(true);
    await ownership.owned([a1.id]);

    now += 3100;
    expect(ownership.allOwnedIfKnown(entries(a1.id, a2.id))).toBe(true); // starts a refresh of both
    ownership.forget(a1.id);
    await vi.waitFor(() => expect(seen.results).toBe(3), WAIT);
    now += 2000; // the first answers are now past their TTL: only the refresh's can be served
    expect(ownership.allOwnedIfKnown(entries(a2.id))).toBe(true);
    expect(ownership.allOwnedIfKnown(entries(a1.id))).toBeUndefined();
    expect(seen.statements).toBe(3);

    // A lookup in flight when forget comes still answers its caller, but is not cached.
    const asked = ownership.owned([a1.id]);
    ownership.forget(a1.id);
    expect([...(await asked)]).toEqual([a1.id]);
    expect(ownership.allOwnedIfKnown(entries(a1.id))).toBeUndefined();
  });
});
