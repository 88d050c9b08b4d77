import { sql } from "kysely";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { makeApp, makeUser, makeWorker } from "../../test/helpers/db-fixtures.js";
import { createTestDatabase, silentLog, testEngine, type TestDatabase } from "../../test/helpers/test-db.js";
import type { LiveAppStats } from "../api/stats-store.js";
import { insertAppAlertRule, RULE_ALERT_SOURCE_TYPE } from "../db/app-alert-rules.js";
import type { AppRow } from "../db/apps.js";
import { openDatabase } from "../db/database.js";
import type { AlertRuleKind } from "../db/schema.js";
import type { WorkerRow } from "../db/workers.js";
import { RecordingPublisher } from "../events/publisher.js";
import { AlertManager } from "./manager.js";
import {
  ALERTS_LOCK_KEY,
  ThresholdPoller,
  type ThresholdPollerOptions,
  type ThresholdTickResult,
} from "./threshold.js";

const TICK_MS = 30_000;
const MIB = 1024 * 1024;
const base = Date.parse("2031-06-01T00:00:00Z");

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.dispose());

const db = () => t.db.kysely;

/** The test's clock, in ticks of 30 s from `base`. */
let tick = 0;
const now = () => new Date(base + tick * TICK_MS);
/** The fake hub: fresh stats per app; absent = no fresh snapshot. */
const live = new Map<number, LiveAppStats>();
let pub: RecordingPublisher;

// Every tick looks at every rule in the database: each test starts with none.
beforeEach(async () => {
  await db().deleteFrom("app_alert_rules").execute();
  await db().deleteFrom("alerts").execute();
  live.clear();
  tick = 0;
  pub = new RecordingPublisher();
});

function poller(opts: Partial<ThresholdPollerOptions> = {}): ThresholdPoller {
  return new ThresholdPoller({
    db: db(),
    stats: { appStatsLive: (id) => live.get(id) },
    manager: new AlertManager({ db: db(), publisher: pub, now }),
    log: silentLog,
    now,
    intervalMs: TICK_MS,
    statsGraceMs: 0,
    ...opts,
  });
}

interface RuleSpec {
  kind: AlertRuleKind;
  threshold?: number;
  sustain: number;
}

async function onlineWorker(): Promise<WorkerRow> {
  return makeWorker(db(), { status: "online", last_heartbeat: now() });
}

/** A running app on `worker` with these rules. */
async function runningApp(worker: WorkerRow, rules: RuleSpec[]): Promise<AppRow> {
  const user = await makeUser(db());
  const app = await makeApp(db(), user.id, { status: "running", worker_id: worker.id, memory_mb: 256 });
  for (const r of rules)
    await insertAppAlertRule(db(), {
      app_id: app.id,
      kind: r.kind,
      threshold: r.threshold ?? 0,
      sustain_minutes: r.sustain,
    });
  return app;
}

/** Fresh stats for the app with one metric set (memory in percent of a 256 MiB limit). */
function report(appId: number, kind: AlertRuleKind, value: number): void {
  const s: LiveAppStats = {
    cpuPct: 1,
    memBytes: MIB,
    memLimit: 256 * MIB,
    netMbps: 0,
    netTotalBytes: 0,
    diskMbps: 0,
    updatedAt: now(),
  };
  if (kind === "cpu") s.cpuPct = value;
  if (kind === "memory") s.memBytes = (value / 100) * s.memLimit;
  if (kind === "network") s.netMbps = value;
  if (kind === "disk") s.diskMbps = value;
  live.set(appId, s);
}

/** Advances the clock one tick (the first call runs tick 0) and runs the poller once. */
async function next(p: ThresholdPoller): Promise<ThresholdTickResult> {
  const result = await p.runOnce();
  tick++;
  return result;
}

const setStatus = (table: "apps" | "workers", id: number, status: string) =>
  sql`UPDATE ${sql.table(table)} SET status = ${status} WHERE id = ${id}`.execute(db());

const alertsOf = (appId: number) =>
  db().selectFrom("alerts").selectAll().where("app_id", "=", appId).orderBy("id").execute();

describe("ThresholdPoller: a table of time series (one value per 30 s tick) against rules", () => {
  const H = 95;
  const cases: { name: string; rule: RuleSpec; series: number[]; fire: number[]; resolve: number[] }[] = [
    {
      name: "cpu > 80 for 1 min: a spike is ignored, fires 60 s into the streak, resolves 60 s into the calm",
      rule: { kind: "cpu", threshold: 80, sustain: 1 },
      series: [10, H, 10, H, H, H, H, 50, 50, 50, 50, 50, 50, 50],
      fire: [5],
      resolve: [9],
    },
    {
      name: "memory > 90 % of the limit for 2 min",
      rule: { kind: "memory", threshold: 90, sustain: 2 },
      series: [H, H, H, H, H, H, 50, 50, 50, 50, 50, 50, 50, 50],
      fire: [4],
      resolve: [10],
    },
    {
      name: "network > 100 Mbps for 1 min: a dip restarts the window",
      rule: { kind: "network", threshold: 100, sustain: 1 },
      series: [150, 150, 0, 150, 150, 150, 150, 150, 150, 150, 150, 150, 150, 150],
      fire: [5],
      resolve: [],
    },
    {
      name: "disk > 50 MB/s for 3 min: one dip at 180 s restarts it",
      rule: { kind: "disk", threshold: 50, sustain: 3 },
      series: [60, 60, 60, 60, 60, 60, 40, 60, 60, 60, 60, 60, 60, 60],
      fire: [13],
      resolve: [],
    },
    {
      name: "cpu flapping never fires",
      rule: { kind: "cpu", threshold: 80, sustain: 1 },
      series: [H, 10, H, 10, H, 10, H, 10, H, 10, H, 10, H, 10],
      fire: [],
      resolve: [],
    },
  ];

  it("fires and resolves each at exactly the expected tick, publishing app.<kind> and alert.resolved", async () => {
    const worker = await onlineWorker();
    const apps = await Promise.all(cases.map((c) => runningApp(worker, [c.rule])));
    const p = poller();
    const fired = new Map<number, number[]>(apps.map((a) => [a.id, []]));
    const resolved = new Map<number, number[]>(apps.map((a) => [a.id, []]));
    const ticks = Math.max(...cases.map((c) => c.series.length));
    for (let i = 0; i < ticks; i++) {
      cases.forEach((c, k) => report(apps[k]!.id, c.rule.kind, c.series[i] ?? c.series.at(-1)!));
      const r = await next(p);
      expect(r.evaluated).toBe(cases.length);
      for (const f of r.fired) fired.get(f.appId)!.push(i);
      for (const f of r.resolved) resolved.get(f.appId)!.push(i);
    }
    cases.forEach((c, k) => {
      const id = apps[k]!.id;
      expect({ name: c.name, fire: fired.get(id), resolve: resolved.get(id) }).toEqual({
        name: c.name,
        fire: c.fire,
        resolve: c.resolve,
      });
    });

    // The cpu case's alert row and events.
    const cpuApp = apps[0]!;
    const [alert] = await alertsOf(cpuApp.id);
    expect(alert).toMatchObject({
      user_id: cpuApp.user_id,
      kind: "cpu",
      severity: "warning",
      source_type: RULE_ALERT_SOURCE_TYPE,
      source_id: `${cpuApp.id}:cpu`,
      status: "resolved",
      value: H,
      threshold: 80,
      sustain_minutes: 1,
      title: `CPU above threshold on ${cpuApp.name}`,
      created_at: new Date(base + 5 * TICK_MS),
      resolved_at: new Date(base + 9 * TICK_MS),
    });
    const cpuEvents = pub.events.filter((e) => e.app.id === cpuApp.id);
    expect(cpuEvents.map((e) => [e.type, e.alert?.id, e.time])).toEqual([
      ["app.cpu", alert!.id, new Date(base + 5 * TICK_MS)],
      ["alert.resolved", alert!.id, new Date(base + 9 * TICK_MS)],
    ]);
    expect(cpuEvents[0]!.app).toEqual({
      id: cpuApp.id,
      name: cpuApp.name,
      slug: cpuApp.slug,
      user_id: cpuApp.user_id,
    });
    expect(pub.events.map((e) => e.type).sort()).toEqual(
      ["alert.resolved", "alert.resolved", "app.cpu", "app.disk", "app.memory", "app.network"].sort(),
    );
  });

  it("disabled rules and apps that are not running are not judged", async () => {
    const worker = await onlineWorker();
    const app = await runningApp(worker, [{ kind: "cpu", threshold: 80, sustain: 1 }]);
    await db().updateTable("app_alert_rules").set({ enabled: false }).where("app_id", "=", app.id).execute();
    const stopped = await runningApp(worker, [{ kind: "cpu", threshold: 80, sustain: 1 }]);
    await setStatus("apps", stopped.id, "stopped");
    const p = poller();
    for (let i = 0; i < 5; i++) {
      report(app.id, "cpu", 99);
      report(stopped.id, "cpu", 99);
      expect(await next(p)).toEqual({ evaluated: 0, fired: [], resolved: [] });
    }
  });
});

describe("streaks", () => {
  it("a rule disabled in the middle of its window starts afresh when enabled again", async () => {
    const worker = await onlineWorker();
    const app = await runningApp(worker, [{ kind: "cpu", threshold: 80, sustain: 1 }]);
    const enable = (enabled: boolean) =>
      db().updateTable("app_alert_rules").set({ enabled }).where("app_id", "=", app.id).execute();
    const p = poller();
    const fired: number[] = [];
    for (let i = 0; i < 7; i++) {
      if (i === 2) await enable(false);
      if (i === 3) await enable(true);
      report(app.id, "cpu", 95);
      if ((await next(p)).fired.length > 0) fired.push(i);
    }
    expect(fired).toEqual([5]); // not 2 (disabled) nor 3 (the streak of ticks 0-1 is void)
  });
});

describe("offline", () => {
  it("fires when the app's stats stay stale beyond the sustain, resolves when they stay fresh", async () => {
    const worker = await onlineWorker();
    const app = await runningApp(worker, [{ kind: "offline", sustain: 1 }]);
    const p = poller();
    const events: string[] = [];
    for (let i = 0; i < 12; i++) {
      if (i < 3 || i >= 7) report(app.id, "cpu", 1);
      else live.delete(app.id);
      const r = await next(p);
      events.push(...r.fired.map(() => `fire@${i}`), ...r.resolved.map(() => `resolve@${i}`));
    }
    expect(events).toEqual(["fire@5", "resolve@9"]);
    const [alert] = await alertsOf(app.id);
    expect(alert).toMatchObject({
      kind: "offline",
      severity: "critical",
      value: null,
      threshold: null,
      message: "No stats received from the app for 1 min.",
    });
    expect(pub.events.map((e) => e.type)).toEqual(["app.offline", "alert.resolved"]);
  });

  it("fires when the worker is lost, even once worker health has stopped the app; a user-stopped app does not", async () => {
    const worker = await onlineWorker();
    const app = await runningApp(worker, [{ kind: "offline", sustain: 1 }]);
    const idle = await runningApp(worker, [{ kind: "offline", sustain: 1 }]);
    await setStatus("apps", idle.id, "stopped"); // stopped by its user while the worker was fine
    const p = poller();
    const events: string[] = [];
    for (let i = 0; i < 12; i++) {
      if (i === 2) {
        // What WorkerHealthMonitor does to a lost worker: offline, its apps stopped; stats expire.
        await setStatus("workers", worker.id, "offline");
        await setStatus("apps", app.id, "stopped");
        live.delete(app.id);
      }
      if (i === 7) {
        await setStatus("workers", worker.id, "online");
        await setStatus("apps", app.id, "running");
      }
      if (i < 2 || i >= 7) report(app.id, "cpu", 1);
      const r = await next(p);
      events.push(
        ...r.fired.map((f) => `fire ${f.appId}@${i}`),
        ...r.resolved.map((f) => `resolve ${f.appId}@${i}`),
      );
    }
    expect(events).toEqual([`fire ${app.id}@4`, `resolve ${app.id}@9`]);
    const [alert] = await alertsOf(app.id);
    expect(alert!.message).toBe("The app's worker has been offline for 1 min.");
    expect(await alertsOf(idle.id)).toEqual([]);
  });

  it("a running app whose worker is marked offline (partition: apps left running) is down even with stats", async () => {
    const worker = await onlineWorker();
    const app = await runningApp(worker, [{ kind: "offline", sustain: 1 }]);
    await setStatus("workers", worker.id, "offline");
    const p = poller();
    const fired: number[] = [];
    for (let i = 0; i < 4; i++) {
      report(app.id, "cpu", 1);
      if ((await next(p)).fired.length > 0) fired.push(i);
    }
    expect(fired).toEqual([2]);
  });

  it("with holdsWorker, an app whose online worker is held by another replica is left to that replica", async () => {
    const mine = await onlineWorker();
    const theirs = await onlineWorker();
    const a = await runningApp(mine, [{ kind: "offline", sustain: 1 }]);
    const b = await runningApp(theirs, [{ kind: "offline", sustain: 1 }]);
    // No stats here for either: b's are in the other replica's hub.
    const p = poller({ holdsWorker: (id) => id === mine.id });
    const fired: string[] = [];
    for (let i = 0; i < 6; i++) {
      if (i === 3) await setStatus("workers", theirs.id, "offline"); // now anyone may judge it
      const r = await next(p);
      fired.push(...r.fired.map((f) => `${f.appId === a.id ? "a" : f.appId === b.id ? "b" : "?"}@${i}`));
    }
    expect(fired).toEqual(["a@2", "b@5"]);
  });
});

describe("restart", () => {
  it("a new poller in the middle of a sustain window starts it afresh: no early fire, no early resolve", async () => {
    const worker = await onlineWorker();
    const app = await runningApp(worker, [{ kind: "cpu", threshold: 80, sustain: 5 }]);
    const log: string[] = [];
    const drive = async (p: ThresholdPoller, until: number, value: (i: number) => number) => {
      for (let i = tick; i < until; i++) {
        report(app.id, "cpu", value(i));
        const r = await next(p);
        log.push(...r.fired.map(() => `fire@${i}`), ...r.resolved.map(() => `resolve@${i}`));
      }
    };
    // Over from tick 0: the first process would fire at tick 10; it is replaced at tick 6.
    await drive(poller(), 6, () => 95);
    await drive(poller(), 20, () => 95); // sees over from tick 6: fires at 16
    // Under from tick 20: the process would resolve at 30; it is replaced at tick 21.
    await drive(poller(), 21, () => 10);
    await drive(poller(), 32, () => 10); // sees under from 21: resolves at 31
    expect(log).toEqual(["fire@16", "resolve@31"]);
  });

  it("a new poller finds the active alert: values still over neither re-fire nor publish", async () => {
    const worker = await onlineWorker();
    const app = await runningApp(worker, [{ kind: "cpu", threshold: 80, sustain: 1 }]);
    const first = poller();
    for (let i = 0; i < 3; i++) {
      report(app.id, "cpu", 95);
      await next(first);
    }
    expect(pub.events.map((e) => e.type)).toEqual(["app.cpu"]);
    const second = poller();
    for (let i = 0; i < 6; i++) {
      report(app.id, "cpu", 95);
      expect(await next(second)).toMatchObject({ fired: [], resolved: [] });
    }
    expect(pub.events).toHaveLength(1);
    expect((await alertsOf(app.id)).map((a) => a.status)).toEqual(["active"]);
  });

  it("right after start, missing stats count as offline only once the grace has passed", async () => {
    const worker = await onlineWorker();
    const app = await runningApp(worker, [{ kind: "offline", sustain: 1 }]);
    const lost = await onlineWorker();
    const onLost = await runningApp(lost, [{ kind: "offline", sustain: 1 }]);
    await setStatus("workers", lost.id, "offline");
    // Default grace (the stats TTL, 45 s): no stats from anyone yet.
    const p = poller({ statsGraceMs: undefined });
    const fired: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await next(p);
      fired.push(
        ...r.fired.map((f) => `${f.appId === app.id ? "app" : f.appId === onLost.id ? "onLost" : "?"}@${i}`),
      );
    }
    // A worker known offline counts from the first tick; missing stats from 60 s (first tick past 45 s).
    expect(fired).toEqual(["onLost@2", "app@4"]);
  });

  it("after a restart during a worker loss, an app already stopped for it is not fired at", async () => {
    const worker = await onlineWorker();
    const app = await runningApp(worker, [{ kind: "offline", sustain: 1 }]);
    await setStatus("workers", worker.id, "offline");
    await setStatus("apps", app.id, "stopped");
    const p = poller();
    for (let i = 0; i < 5; i++) expect(await next(p)).toEqual({ evaluated: 0, fired: [], resolved: [] });
  });
});

describe("replicas", () => {
  it("two pollers deciding the same fire (one applying late) create one alert and publish one event", async () => {
    const worker = await onlineWorker();
    const app = await runningApp(worker, [{ kind: "cpu", threshold: 80, sustain: 1 }]);
    const real = new AlertManager({ db: db(), publisher: pub, now });
    // a's emit is held until b's whole tick has run: both have judged before either applied.
    let entered!: () => void;
    const isEntered = new Promise<void>((resolve) => (entered = resolve));
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const a = poller({
      manager: {
        emit: async (spec) => {
          entered();
          await gate;
          return real.emit(spec);
        },
        resolveBySource: (...args) => real.resolveBySource(...args),
      },
    });
    const b = poller();
    for (let i = 0; i < 2; i++) {
      report(app.id, "cpu", 95);
      await a.runOnce();
      await b.runOnce();
      tick++;
    }
    report(app.id, "cpu", 95);
    const lateA = a.runOnce();
    await isEntered; // a decided to fire and its lock transaction is over
    const fromB = await b.runOnce();
    open();
    const fromA = await lateA;
    expect(fromB.fired.map((f) => f.appId)).toEqual([app.id]);
    expect(fromA.fired).toEqual([]); // its emit found b's alert
    expect(pub.events.map((e) => e.type)).toEqual(["app.cpu"]);
    expect(await alertsOf(app.id)).toHaveLength(1);
  });

  it.runIf(testEngine === "postgres")(
    "a tick finding the lock held by another replica judges nothing",
    async () => {
      const worker = await onlineWorker();
      await runningApp(worker, [{ kind: "cpu", threshold: 80, sustain: 1 }]);
      const other = await openDatabase({ engine: "postgres", url: t.url!, poolSize: 1 }, silentLog);
      try {
        let release!: () => void;
        const released = new Promise<void>((resolve) => (release = resolve));
        let locked!: () => void;
        const isLocked = new Promise<void>((resolve) => (locked = resolve));
        const holder = other.kysely.transaction().execute(async (trx) => {
          await sql`SELECT pg_advisory_xact_lock(${ALERTS_LOCK_KEY.toString()}::bigint)`.execute(trx);
          locked();
          await released;
        });
        await isLocked;
        expect(await poller().runOnce()).toEqual({
          evaluated: 0,
          fired: [],
          resolved: [],
          skipped: "locked",
        });
        release();
        await holder;
        expect((await poller().runOnce()).evaluated).toBe(1);
      } finally {
        await other.close();
      }
    },
  );
});
