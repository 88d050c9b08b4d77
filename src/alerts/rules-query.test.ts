import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { makeApp, makeUser, makeWorker } from "../../test/helpers/db-fixtures.js";
import { createTestDatabase, type TestDatabase } from "../../test/helpers/test-db.js";
import { insertAlert } from "../db/alerts.js";
import {
  insertAppAlertRule,
  listEvaluableRules,
  RULE_ALERT_SOURCE_TYPE,
  ruleAlertSourceId,
  unpackRules,
  type EvaluableRule,
} from "../db/app-alert-rules.js";
import { listAppEventFields } from "../db/apps.js";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.dispose());
beforeEach(async () => {
  await db().deleteFrom("app_alert_rules").execute();
  await db().deleteFrom("alerts").execute();
});

const db = () => t.db.kysely;
const byKey = (rules: EvaluableRule[]) =>
  [...rules].sort((a, b) => a.app_id - b.app_id || a.kind.localeCompare(b.kind));

describe("listEvaluableRules (the poller's one query)", () => {
  it("returns enabled rules of running apps with their worker and alert state, unpacked exactly", async () => {
    const user = await makeUser(db());
    const online = await makeWorker(db(), { status: "online" });
    const offline = await makeWorker(db(), { status: "offline" });
    const a = await makeApp(db(), user.id, { status: "running", worker_id: online.id, memory_mb: 512 });
    const b = await makeApp(db(), user.id, { status: "running", worker_id: null });
    const lost = await makeApp(db(), user.id, { status: "stopped", worker_id: offline.id });
    const idle = await makeApp(db(), user.id, { status: "stopped", worker_id: online.id });
    const rule = (app_id: number, kind: EvaluableRule["kind"], threshold: number, enabled = true) =>
      insertAppAlertRule(db(), { app_id, kind, threshold, sustain_minutes: 7, enabled });
    await rule(a.id, "cpu", 80.25);
    await rule(a.id, "memory", 1e-7);
    await rule(a.id, "disk", 5, false);
    await rule(b.id, "network", 1234567.5);
    await rule(lost.id, "offline", 0);
    await rule(lost.id, "cpu", 50); // a metric of a stopped app: not judged
    await rule(idle.id, "offline", 0); // stopped with its worker online: not judged
    await insertAlert(db(), {
      user_id: user.id,
      app_id: a.id,
      kind: "cpu",
      source_type: RULE_ALERT_SOURCE_TYPE,
      source_id: ruleAlertSourceId(a.id, "cpu"),
      title: "t",
    });
    // Resolved alerts and other source types do not count as firing.
    await insertAlert(db(), {
      user_id: user.id,
      app_id: a.id,
      kind: "memory",
      source_type: RULE_ALERT_SOURCE_TYPE,
      source_id: ruleAlertSourceId(a.id, "memory"),
      title: "t",
      status: "resolved",
      resolved_at: new Date(),
    });
    await insertAlert(db(), {
      user_id: user.id,
      app_id: b.id,
      kind: "network",
      source_type: "other",
      source_id: ruleAlertSourceId(b.id, "network"),
      title: "t",
    });

    const common = { user_id: user.id, sustain_minutes: 7 };
    expect(byKey(await listEvaluableRules(db()))).toEqual([
      {
        ...common,
        app_id: a.id,
        kind: "cpu",
        threshold: 80.25,
        memory_mb: 512,
        worker_id: online.id,
        app_running: true,
        worker_online: true,
        firing: true,
      },
      {
        ...common,
        app_id: a.id,
        kind: "memory",
        threshold: 1e-7,
        memory_mb: 512,
        worker_id: online.id,
        app_running: true,
        worker_online: true,
        firing: false,
      },
      {
        ...common,
        app_id: b.id,
        kind: "network",
        threshold: 1234567.5,
        memory_mb: 256,
        worker_id: null,
        app_running: true,
        worker_online: false,
        firing: false,
      },
      {
        ...common,
        app_id: lost.id,
        kind: "offline",
        threshold: 0,
        memory_mb: 256,
        worker_id: offline.id,
        app_running: false,
        worker_online: false,
        firing: false,
      },
    ]);
  });

  it("an empty set is an empty list", async () => {
    expect(await listEvaluableRules(db())).toEqual([]);
  });

  it("listAppEventFields returns the existing apps among the ids", async () => {
    const user = await makeUser(db());
    const a = await makeApp(db(), user.id, { name: "a, with ' odd \n name" });
    expect(await listAppEventFields(db(), [a.id, a.id, 2_000_000_000])).toEqual([
      { id: a.id, name: a.name, slug: a.slug, user_id: user.id },
    ]);
    expect(await listAppEventFields(db(), [])).toEqual([]);
  });
});

describe("unpackRules", () => {
  it("reads infinite and NaN thresholds and a missing worker", () => {
    const [x, y] = unpackRules("1,2,3,,6,disk,Infinity,9 4,5,6,7,5,cpu,NaN,1");
    expect(x).toEqual({
      app_id: 1,
      user_id: 2,
      memory_mb: 3,
      worker_id: null,
      app_running: false,
      worker_online: true,
      firing: true,
      kind: "disk",
      threshold: Infinity,
      sustain_minutes: 9,
    });
    expect(y).toMatchObject({ worker_id: 7, app_running: true, worker_online: false, firing: true });
    expect(y?.threshold).toBeNaN();
  });

  it("refuses anything else", () => {
    for (const bad of [
      "1,2,3,,6,gpu,1,9",
      "1,2,3,,6,cpu,,9",
      "1,2,3,,6,cpu,x,9",
      "1,2,3,,6,cpu,1",
      "1,2,3,,6,cpu,1,9,",
      "1,2,3,,6,cpu,1,9  1,2,3,,6,cpu,1,9",
      "a,2,3,,6,cpu,1,9",
    ])
      expect(() => unpackRules(bad), bad).toThrow(/malformed packed alert rules/);
  });
});
