import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertAlert } from "../../src/db/alerts.js";
import {
  listAppAlertRulesByApp,
  RULE_ALERT_SOURCE_TYPE,
  ruleAlertSourceId,
} from "../../src/db/app-alert-rules.js";
import type { AppRow } from "../../src/db/apps.js";
import { signUp, type ApiClient } from "../helpers/api-client.js";
import { startTestControlPlane, type TestControlPlane } from "../helpers/control-plane.js";
import { makeApp } from "../helpers/db-fixtures.js";

let cp: TestControlPlane;
let alice: ApiClient;
let bob: ApiClient;
let aliceId: number;
let bobId: number;
let aliceApp: AppRow;
let bobApp: AppRow;

async function userId(c: ApiClient): Promise<number> {
  return ((await c.get("/me")).body as { user: { id: number } }).user.id;
}

beforeAll(async () => {
  cp = await startTestControlPlane({}, { WISEHOSTING_AUTH_OPEN_SIGNUP: "true" });
  alice = await signUp(cp.url, "alice@example.com");
  bob = await signUp(cp.url, "bob@example.com");
  aliceId = await userId(alice);
  bobId = await userId(bob);
  aliceApp = await makeApp(cp.t.db.kysely, aliceId);
  bobApp = await makeApp(cp.t.db.kysely, bobId);
});
afterAll(() => cp.stop());

describe("alert rules", () => {
  it("starts empty, and PUT replaces the whole set", async () => {
    const path = `/apps/${aliceApp.slug}/alert-rules`;
    expect((await alice.get(path)).body).toEqual({ rules: [] });
    const first = await alice.put(path, {
      rules: [
        { kind: "memory", threshold: 90, sustain_minutes: 5 },
        { kind: "cpu", threshold: 80.5, sustain_minutes: 10, enabled: false },
        { kind: "offline", sustain_minutes: 2 },
        { kind: "network", threshold: 500, sustain_minutes: 1440 },
      ],
    });
    expect(first.status).toBe(200);
    expect(first.body.rules).toEqual([
      { kind: "cpu", threshold: 80.5, sustain_minutes: 10, enabled: false },
      { kind: "memory", threshold: 90, sustain_minutes: 5, enabled: true },
      { kind: "network", threshold: 500, sustain_minutes: 1440, enabled: true },
      { kind: "offline", threshold: 0, sustain_minutes: 2, enabled: true },
    ]);
    expect((await alice.get(path)).body).toEqual(first.body);

    const second = await alice.put(path, { rules: [{ kind: "disk", threshold: 50, sustain_minutes: 3 }] });
    expect(second.status).toBe(200);
    expect(second.body.rules).toEqual([{ kind: "disk", threshold: 50, sustain_minutes: 3, enabled: true }]);
    const stored = await listAppAlertRulesByApp(cp.t.db.kysely, aliceApp.id);
    expect(stored.map((r) => r.kind)).toEqual(["disk"]);

    expect((await alice.put(path, { rules: [] })).body).toEqual({ rules: [] });
    expect(await listAppAlertRulesByApp(cp.t.db.kysely, aliceApp.id)).toEqual([]);
  });

  it.each([
    [
      "a duplicate kind",
      [rule("cpu"), rule("memory"), rule("cpu")],
      "rules.2.kind",
      /at most one rule per kind/,
    ],
    ["cpu above 100 %", [rule("cpu", 100.5)], "rules.0.threshold", /at most 100/],
    ["memory above 100 %", [rule("disk"), rule("memory", 101)], "rules.1.threshold", /at most 100/],
    ["a negative threshold", [rule("network", -1)], "rules.0.threshold", /.+/],
    [
      "a metric rule without threshold",
      [{ kind: "cpu", sustain_minutes: 5 }],
      "rules.0.threshold",
      /required/,
    ],
    ["sustain 0", [{ ...rule("cpu"), sustain_minutes: 0 }], "rules.0.sustain_minutes", /.+/],
    ["sustain above a day", [{ ...rule("cpu"), sustain_minutes: 1441 }], "rules.0.sustain_minutes", /.+/],
    ["a fractional sustain", [{ ...rule("cpu"), sustain_minutes: 1.5 }], "rules.0.sustain_minutes", /.+/],
    ["an unknown kind", [rule("latency")], "rules.0.kind", /.+/],
  ])("refuses %s with a 400 naming the field, changing nothing", async (_what, rules, field, message) => {
    const path = `/apps/${aliceApp.slug}/alert-rules`;
    await alice.put(path, { rules: [rule("offline")] });
    const r = await alice.put(path, { rules });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("invalid_request");
    expect(r.body.error.message.startsWith(`${field}: `), r.body.error.message).toBe(true);
    expect(r.body.error.message).toMatch(message);
    expect((await alice.get(path)).body.rules.map((x: { kind: string }) => x.kind)).toEqual(["offline"]);
  });

  it("treats another user's app as missing", async () => {
    const path = `/apps/${bobApp.slug}/alert-rules`;
    expect((await bob.put(path, { rules: [rule("cpu")] })).status).toBe(200);
    expect((await alice.get(path)).status).toBe(404);
    expect((await alice.put(path, { rules: [] })).status).toBe(404);
    expect((await bob.get(path)).body.rules).toHaveLength(1);
  });
});

it("resolves the active alert of a rule removed or disabled, and only those", async () => {
  const carol = await signUp(cp.url, "carol@example.com");
  const app = await makeApp(cp.t.db.kysely, await userId(carol));
  const path = `/apps/${app.slug}/alert-rules`;
  const kinds = ["cpu", "memory", "disk"] as const;
  expect((await carol.put(path, { rules: kinds.map((k) => rule(k)) })).status).toBe(200);
  for (const kind of kinds) {
    await insertAlert(cp.t.db.kysely, {
      user_id: app.user_id,
      app_id: app.id,
      kind,
      source_type: RULE_ALERT_SOURCE_TYPE,
      source_id: ruleAlertSourceId(app.id, kind),
      title: `${kind} high`,
    });
  }
  // cpu removed, memory disabled, disk kept with a new threshold.
  const r = await carol.put(path, {
    rules: [{ ...rule("memory"), enabled: false }, rule("disk", 70)],
  });
  expect(r.status).toBe(200);
  const alerts = (await carol.get("/alerts")).body.alerts as { kind: string; status: string }[];
  const status = Object.fromEntries(alerts.map((a) => [a.kind, a.status]));
  expect(status).toEqual({ cpu: "resolved", memory: "resolved", disk: "active" });
});

function rule(kind: string, threshold = 50): { kind: string; threshold: number; sustain_minutes: number } {
  return { kind, threshold, sustain_minutes: 5 };
}

describe("GET /alerts", () => {
  beforeAll(async () => {
    const db = cp.t.db.kysely;
    const base = Date.parse("2025-03-01T00:00:00Z");
    const at = (min: number) => new Date(base + min * 60_000);
    const common = { source_type: "app_alert_rule", title: "t", message: "m" };
    await insertAlert(db, {
      ...common,
      user_id: aliceId,
      app_id: aliceApp.id,
      kind: "cpu",
      source_id: `${aliceApp.id}:cpu`,
      title: "CPU high",
      value: 95,
      threshold: 80,
      created_at: at(1),
      status: "resolved",
      resolved_at: at(20),
    });
    await insertAlert(db, {
      ...common,
      user_id: aliceId,
      app_id: aliceApp.id,
      kind: "memory",
      source_id: `${aliceApp.id}:memory`,
      severity: "critical",
      created_at: at(2),
    });
    await insertAlert(db, {
      ...common,
      user_id: aliceId,
      app_id: null,
      kind: "worker",
      source_type: "worker",
      source_id: "7",
      created_at: at(3),
    });
    await insertAlert(db, {
      ...common,
      user_id: bobId,
      app_id: bobApp.id,
      kind: "cpu",
      source_id: `${bobApp.id}:cpu`,
      created_at: at(4),
    });
  });

  it("lists the caller's alerts newest first, with their app's slug", async () => {
    const r = await alice.get("/alerts");
    expect(r.status).toBe(200);
    expect(r.body.alerts.map((a: { kind: string }) => a.kind)).toEqual(["worker", "memory", "cpu"]);
    expect(r.body.alerts[0]).toMatchObject({ app: null, status: "active", resolved_at: null });
    expect(r.body.alerts[1]).toMatchObject({ app: aliceApp.slug, severity: "critical", value: null });
    expect(r.body.alerts[2]).toEqual({
      id: expect.any(Number),
      app: aliceApp.slug,
      kind: "cpu",
      severity: "warning",
      status: "resolved",
      title: "CPU high",
      message: "m",
      value: 95,
      threshold: 80,
      created_at: "2025-03-01T00:01:00.000Z",
      resolved_at: "2025-03-01T00:20:00.000Z",
    });
    const bobs = await bob.get("/alerts");
    expect(bobs.body.alerts).toHaveLength(1);
    expect(bobs.body.alerts[0].app).toBe(bobApp.slug);
  });

  it("filters by status", async () => {
    const active = await alice.get("/alerts?status=active");
    expect(active.body.alerts.map((a: { kind: string }) => a.kind)).toEqual(["worker", "memory"]);
    const resolved = await alice.get("/alerts?status=resolved");
    expect(resolved.body.alerts.map((a: { kind: string }) => a.kind)).toEqual(["cpu"]);
    const bad = await alice.get("/alerts?status=open");
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^status: /);
  });

  it("filters by app, and treats another user's app as missing", async () => {
    const mine = await alice.get(`/alerts?app=${aliceApp.slug}`);
    expect(mine.status).toBe(200);
    expect(mine.body.alerts.map((a: { kind: string }) => a.kind)).toEqual(["memory", "cpu"]);
    const active = await alice.get(`/alerts?app=${aliceApp.slug}&status=active`);
    expect(active.body.alerts.map((a: { kind: string }) => a.kind)).toEqual(["memory"]);
    const theirs = await alice.get(`/alerts?app=${bobApp.slug}`);
    expect(theirs.status).toBe(404);
    const bad = await alice.get("/alerts?app=Not%20A%20Slug");
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^app: /);
  });
});
