import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeApp, makeUser, unique } from "../../test/helpers/db-fixtures.js";
import { createTestDatabase, silentLog, testEngine, type TestDatabase } from "../../test/helpers/test-db.js";
import { findActiveAlert, findAlertById, insertAlertUnlessActive } from "../db/alerts.js";
import { openDatabase, type Database } from "../db/database.js";
import type { AppRow } from "../db/apps.js";
import type { Kysely } from "kysely";
import type { DB } from "../db/schema.js";
import {
  RecordingPublisher,
  type EventApp,
  type PlatformEvent,
  type TransactionalPublisher,
} from "../events/publisher.js";
import { AlertManager, type AlertSpec } from "./manager.js";

const now = new Date("2031-05-01T10:00:00Z");

let t: TestDatabase;
/** A second handle (its own pool) on PostgreSQL; the same handle on PGlite, which has one session. */
let other: Database;
beforeAll(async () => {
  t = await createTestDatabase();
  other = t.url ? await openDatabase({ engine: "postgres", url: t.url, poolSize: 4 }, silentLog) : t.db;
});
afterAll(async () => {
  if (other !== t.db) await other.close();
  await t.dispose();
});

const db = () => t.db.kysely;

function manager(publisher = new RecordingPublisher(), handle: Database = t.db): AlertManager {
  return new AlertManager({ db: handle.kysely, publisher, now: () => now });
}

const eventApp = (a: AppRow): EventApp => ({ id: a.id, name: a.name, slug: a.slug, user_id: a.user_id });

async function appOfNewUser(): Promise<AppRow> {
  const user = await makeUser(db());
  return makeApp(db(), user.id);
}

function spec(app: AppRow, sourceId = unique("src"), over: Partial<AlertSpec> = {}): AlertSpec {
  return {
    userId: app.user_id,
    appId: app.id,
    kind: "cpu",
    sourceType: "test",
    sourceId,
    title: "CPU high",
    message: "CPU at 95%",
    value: 95,
    threshold: 80,
    sustainMinutes: 5,
    event: { type: "app.cpu", app: eventApp(app) },
    ...over,
  };
}

const activeCount = async (userId: number, sourceId: string) =>
  (
    await db()
      .selectFrom("alerts")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("user_id", "=", userId)
      .where("source_id", "=", sourceId)
      .where("status", "=", "active")
      .executeTakeFirstOrThrow()
  ).n;

describe("AlertManager.emit", () => {
  it("creates the alert once; a second emit returns it; the fired event is published once", async () => {
    const app = await appOfNewUser();
    const pub = new RecordingPublisher();
    const m = manager(pub);
    const s = spec(app);

    const first = await m.emit(s);
    expect(first.created).toBe(true);
    expect(first.alert).toMatchObject({
      user_id: app.user_id,
      app_id: app.id,
      kind: "cpu",
      severity: "warning",
      status: "active",
      source_type: "test",
      source_id: s.sourceId,
      value: 95,
      threshold: 80,
      sustain_minutes: 5,
      created_at: now,
      resolved_at: null,
    });
    const second = await m.emit({ ...s, value: 99, title: "other" });
    expect(second).toEqual({ alert: first.alert, created: false });

    expect(pub.events).toEqual([
      {
        type: "app.cpu",
        app: eventApp(app),
        alert: { id: first.alert.id, kind: "cpu", value: 95, threshold: 80, sustain_minutes: 5 },
        reason: "CPU at 95%",
        time: now,
      },
    ]);
  });

  it("without spec.event nothing is published", async () => {
    const app = await appOfNewUser();
    const pub = new RecordingPublisher();
    const { event: _event, ...bare } = spec(app);
    expect((await manager(pub).emit(bare)).created).toBe(true);
    expect(pub.events).toEqual([]);
  });

  it("the same source of another user, or another source, is another alert", async () => {
    const a = await appOfNewUser();
    const b = await appOfNewUser();
    const m = manager();
    const x = await m.emit(spec(a, "shared"));
    const y = await m.emit(spec(b, "shared"));
    const z = await m.emit(spec(a, "other"));
    expect(new Set([x.alert.id, y.alert.id, z.alert.id]).size).toBe(3);
    expect([x.created, y.created, z.created]).toEqual([true, true, true]);
  });

  it(`concurrent emits for one source create one alert and publish one event (${testEngine}${testEngine === "postgres" ? ", two connection pools" : ", one session"})`, async () => {
    const app = await appOfNewUser();
    const pubA = new RecordingPublisher();
    const pubB = new RecordingPublisher();
    const ma = manager(pubA, t.db);
    const mb = manager(pubB, other);
    for (let round = 0; round < 20; round++) {
      const s = spec(app, `race-${round}`);
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? ma : mb).emit({ ...s, value: i })),
      );
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.alert.id)).size).toBe(1);
      expect(await activeCount(app.user_id, s.sourceId)).toBe(1);
    }
    expect(pubA.events.length + pubB.events.length).toBe(20);
  });

  it.runIf(testEngine === "postgres")(
    "an emit racing an uncommitted insert waits for it, then returns that alert (commit) or inserts its own (rollback)",
    async () => {
      const app = await appOfNewUser();
      for (const outcome of ["commit", "rollback"] as const) {
        const s = spec(app, `blocked-${outcome}`);
        let release!: () => void;
        const released = new Promise<void>((resolve) => (release = resolve));
        let heldId = 0;
        const holder = t.db.kysely
          .transaction()
          .execute(async (trx) => {
            const held = await insertAlertUnlessActive(trx, {
              user_id: s.userId,
              app_id: s.appId,
              kind: s.kind,
              source_type: s.sourceType,
              source_id: s.sourceId,
              title: s.title,
            });
            heldId = held!.id;
            await released;
            if (outcome === "rollback") throw new Error("rollback");
          })
          .catch((err: unknown) => {
            if (!(err instanceof Error && err.message === "rollback")) throw err;
          });
        await waitFor(() => heldId !== 0);
        const racer = manager(new RecordingPublisher(), other).emit(s);
        await waitFor(async () => (await lockWaiters()) > 0);
        release();
        const [, raced] = await Promise.all([holder, racer]);
        expect(raced.created).toBe(outcome === "rollback");
        if (outcome === "commit") expect(raced.alert.id).toBe(heldId);
        else expect(raced.alert.id).not.toBe(heldId);
        expect(await activeCount(app.user_id, s.sourceId)).toBe(1);
      }
    },
  );
});

describe("AlertManager.resolveBySource", () => {
  it("resolves and stamps resolved_at, publishes alert.resolved once; a later emit opens a new alert", async () => {
    const app = await appOfNewUser();
    const pub = new RecordingPublisher();
    const m = manager(pub);
    const s = spec(app);
    const { alert } = await m.emit(s);
    pub.events.length = 0;

    const resolved = await m.resolveBySource(app.user_id, "test", s.sourceId, eventApp(app));
    expect(resolved).toEqual([{ ...alert, status: "resolved", resolved_at: now }]);
    expect(pub.events).toEqual([
      {
        type: "alert.resolved",
        app: eventApp(app),
        alert: { id: alert.id, kind: "cpu", value: 95, threshold: 80, sustain_minutes: 5 },
        reason: "CPU at 95%",
        time: now,
      },
    ]);

    expect(await m.resolveBySource(app.user_id, "test", s.sourceId)).toEqual([]);
    expect(pub.events).toHaveLength(1);

    const again = await m.emit(s);
    expect(again.created).toBe(true);
    expect(again.alert.id).not.toBe(alert.id);
  });

  it("without an app given, the event is about the alert's app; an alert without an app publishes nothing", async () => {
    const app = await appOfNewUser();
    const pub = new RecordingPublisher();
    const m = manager(pub);
    const withApp = spec(app);
    await m.emit(withApp);
    const noApp = spec(app, unique("src"), { appId: null });
    await m.emit(noApp);
    pub.events.length = 0;

    await m.resolveBySource(app.user_id, "test", withApp.sourceId);
    expect(await m.resolveBySource(app.user_id, "test", noApp.sourceId)).toHaveLength(1);
    expect(pub.events.map((e) => [e.type, e.app])).toEqual([["alert.resolved", eventApp(app)]]);
  });

  it("concurrent resolves resolve and publish once", async () => {
    const app = await appOfNewUser();
    const pubA = new RecordingPublisher();
    const pubB = new RecordingPublisher();
    const s = spec(app);
    await manager(pubA).emit(s);
    pubA.events.length = 0;
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        manager(i % 2 ? pubA : pubB, i % 2 ? t.db : other).resolveBySource(app.user_id, "test", s.sourceId),
      ),
    );
    expect(results.flat()).toHaveLength(1);
    expect(pubA.events.length + pubB.events.length).toBe(1);
  });
});

/** An outbox publisher (what the webhook dispatcher is): checks it runs in the alert's transaction. */
class OutboxPublisher implements TransactionalPublisher {
  readonly inTx: PlatformEvent[] = [];
  readonly direct: PlatformEvent[] = [];
  fail = false;
  publish(event: PlatformEvent): void {
    this.direct.push(event);
  }
  async publishInTx(trx: Kysely<DB>, event: PlatformEvent): Promise<void> {
    // The alert row written by this transaction is visible through trx.
    const alert = await findAlertById(trx, event.alert!.id);
    expect(alert?.status).toBe(event.type === "alert.resolved" ? "resolved" : "active");
    if (this.fail) throw new Error("outbox write failed");
    this.inTx.push(event);
  }
}

describe("AlertManager with a transactional (outbox) publisher", () => {
  it("writes the event in the alert's transaction; a failed event write rolls the alert change back", async () => {
    const app = await appOfNewUser();
    const pub = new OutboxPublisher();
    const m = new AlertManager({ db: db(), publisher: pub, now: () => now });
    const s = spec(app);

    pub.fail = true;
    await expect(m.emit(s)).rejects.toThrow("outbox write failed");
    expect(await findActiveAlert(db(), app.user_id, "test", s.sourceId)).toBeUndefined();

    pub.fail = false;
    const { alert, created } = await m.emit(s);
    expect(created).toBe(true);
    expect((await m.emit(s)).created).toBe(false);

    pub.fail = true;
    await expect(m.resolveBySource(app.user_id, "test", s.sourceId)).rejects.toThrow("outbox write failed");
    expect((await findAlertById(db(), alert.id))?.status).toBe("active");

    pub.fail = false;
    expect(await m.resolveBySource(app.user_id, "test", s.sourceId)).toHaveLength(1);
    expect(pub.inTx.map((e) => [e.type, e.alert?.id, e.app])).toEqual([
      ["app.cpu", alert.id, eventApp(app)],
      ["alert.resolved", alert.id, eventApp(app)],
    ]);
    expect(pub.direct).toEqual([]);
  });
});

/** Sessions of this database waiting on a lock (PostgreSQL). */
async function lockWaiters(): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM pg_stat_activity
    WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(db());
  return rows[0]?.n ?? 0;
}

/** Polls `cond` on the event loop until it holds; fails after 10 s. */
async function waitFor(cond: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error("condition not met within 10 s");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
