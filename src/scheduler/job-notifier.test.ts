import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, silentLog, testEngine, type TestDatabase } from "../../test/helpers/test-db.js";
import { openDatabase, type Database } from "../db/database.js";
import { parseIdPayload } from "./id-channel.js";
import { JOBS_CHANNEL, JobNotifier, notifyJobsAssigned } from "./job-notifier.js";

const POLL = { timeout: 10_000, interval: 20 };

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.dispose());

/** A started JobNotifier that records the worker ids and warnings it saw. */
async function startNotifier(db: Database): Promise<{
  notifier: JobNotifier;
  received: number[];
  warnings: object[];
}> {
  const received: number[] = [];
  const warnings: object[] = [];
  const notifier = new JobNotifier({
    db,
    onJobs: (id) => received.push(id),
    log: { warn: (obj) => warnings.push(obj), error: () => undefined },
  });
  await notifier.start();
  return { notifier, received, warnings };
}

function notifyCommitted(db: Database, ids: readonly number[]): Promise<void> {
  return db.kysely.transaction().execute((trx) => notifyJobsAssigned(trx, ids));
}

describe(`on ${testEngine}`, () => {
  it("delivers the worker ids of a committed transaction, one per distinct worker", async () => {
    const { notifier, received } = await startNotifier(t.db);
    try {
      await notifyCommitted(t.db, [5, 3, 5]);
      await expect.poll(() => [...received].sort((a, b) => a - b), POLL).toEqual([3, 5]);
    } finally {
      await notifier.stop();
    }
  });

  it("delivers nothing for a rolled-back transaction", async () => {
    const { notifier, received } = await startNotifier(t.db);
    try {
      await expect(
        t.db.kysely.transaction().execute(async (trx) => {
          await notifyJobsAssigned(trx, [101]);
          throw new Error("roll back");
        }),
      ).rejects.toThrow("roll back");
      // Notifications arrive in commit order: once 102 is here, 101 would have been too.
      await notifyCommitted(t.db, [102]);
      await expect.poll(() => received.includes(102), POLL).toBe(true);
      expect(received).toEqual([102]);
    } finally {
      await notifier.stop();
    }
  });

  it("ignores and logs malformed payloads", async () => {
    const { notifier, received, warnings } = await startNotifier(t.db);
    const malformed = ["", "abc", "0", "-4", "07", " 8", "8 ", "1e3", "3.5", "99999999999999999"];
    try {
      for (const payload of malformed)
        await sql`SELECT pg_notify(${JOBS_CHANNEL}, ${payload})`.execute(t.db.kysely);
      await notifyCommitted(t.db, [9]);
      await expect.poll(() => received.includes(9), POLL).toBe(true);
      expect(received).toEqual([9]);
      expect(warnings).toHaveLength(malformed.length);
    } finally {
      await notifier.stop();
    }
  });

  it("stops delivering once stop() resolves; start/stop are idempotent and stop is safe before start", async () => {
    const never = new JobNotifier({ db: t.db, onJobs: () => undefined, log: silentLog });
    await never.stop();
    const a = await startNotifier(t.db);
    const b = await startNotifier(t.db);
    try {
      await a.notifier.start();
      await notifyCommitted(t.db, [11]);
      await expect.poll(() => b.received, POLL).toEqual([11]);
      expect(a.received).toEqual([11]);
      await Promise.all([a.notifier.stop(), a.notifier.stop()]);
      // b listens on the same connection, so the notification reaches both or neither.
      await notifyCommitted(t.db, [12]);
      await expect.poll(() => b.received, POLL).toEqual([11, 12]);
      expect(a.received).toEqual([11]);
    } finally {
      await a.notifier.stop();
      await b.notifier.stop();
    }
  });

  it("validates worker ids and channel names; an empty list sends nothing", async () => {
    await expect(notifyJobsAssigned(t.db.kysely, [1, 0])).rejects.toThrow(RangeError);
    await expect(notifyJobsAssigned(t.db.kysely, [1.5])).rejects.toThrow(RangeError);
    await expect(notifyJobsAssigned(t.db.kysely, [])).resolves.toBeUndefined();
    await expect(t.db.listen('jobs"; DROP TABLE workers; --', () => undefined)).rejects.toThrow(TypeError);
    await expect(t.db.listen("Upper", () => undefined)).rejects.toThrow(TypeError);
    expect(parseIdPayload("42")).toBe(42);
    expect(parseIdPayload("042")).toBeUndefined();
  });

  it("Database.listen: unlisten is idempotent and removes only its own callback", async () => {
    const first: string[] = [];
    const second: string[] = [];
    const cb = (p: string): number => first.push(p);
    const un1 = await t.db.listen("job_notifier_test", cb);
    const un2 = await t.db.listen("job_notifier_test", (p) => second.push(p));
    await Promise.all([un1(), un1()]);
    await sql`SELECT pg_notify('job_notifier_test', 'x')`.execute(t.db.kysely);
    await expect.poll(() => second, POLL).toEqual(["x"]);
    expect(first).toEqual([]);
    await un2();
  });
});

describe.runIf(testEngine === "postgres")("two replicas on one PostgreSQL database", () => {
  let replicaB: Database;
  const bLog: string[] = [];
  beforeAll(async () => {
    replicaB = await openDatabase(
      { engine: "postgres", url: t.url as string, poolSize: 2 },
      { info: (_obj, msg) => bLog.push(msg), warn: (_obj, msg) => bLog.push(msg) },
    );
  });
  afterAll(() => replicaB.close());

  /** Pid and state of B's listening connection, seen from A (which does not listen). */
  async function listenerBackends(): Promise<{ pid: number; state: string | null }[]> {
    const r = await sql<{ pid: number; state: string | null }>`
      SELECT pid, state FROM pg_stat_activity
      WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()
    `.execute(t.db.kysely);
    return r.rows;
  }

  it("a notify on replica A reaches replica B, also after B's listening connection is killed", async () => {
    const b = await startNotifier(replicaB);
    try {
      await notifyCommitted(t.db, [21]);
      await expect.poll(() => b.received, POLL).toEqual([21]);

      const before = await listenerBackends();
      expect(before).toHaveLength(1);
      const killed = before[0]!.pid;
      await sql`SELECT pg_terminate_backend(${killed})`.execute(t.db.kysely);

      // Idle with LISTEN as its last statement means the LISTEN has completed on the new connection.
      await expect
        .poll(
          async () => (await listenerBackends()).filter((r) => r.pid !== killed && r.state === "idle").length,
          POLL,
        )
        .toBe(1);
      await notifyCommitted(t.db, [22]);
      await expect.poll(() => b.received, POLL).toEqual([21, 22]);
      expect(bLog).toContain("database: LISTEN connection lost; reconnecting");
      expect(bLog).toContain("database: LISTEN connection re-established");
    } finally {
      await b.notifier.stop();
    }
    // Unlistening the last channel ends the dedicated connection.
    await expect.poll(async () => (await listenerBackends()).length, POLL).toBe(0);
  });
});
