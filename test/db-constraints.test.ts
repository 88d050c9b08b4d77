import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertAlert, type NewAlert } from "../src/db/alerts.js";
import { insertApp } from "../src/db/apps.js";
import { insertAppAlertRule } from "../src/db/app-alert-rules.js";
import { findCustomDomainByHostname, insertCustomDomain } from "../src/db/custom-domains.js";
import { insertDeployment, type NewDeployment } from "../src/db/deployments.js";
import { upsertUsageSamples, type NewUsageSample } from "../src/db/usage-samples.js";
import { insertUser } from "../src/db/users.js";
import { insertWebhook } from "../src/db/webhooks.js";
import { insertWebhookDelivery } from "../src/db/webhook-deliveries.js";
import { findWorkerByName, insertWorker } from "../src/db/workers.js";
import {
  hex64,
  makeApp,
  makeUser,
  makeWorker,
  pgError,
  TEST_PLAN,
  unique,
  workerValues,
} from "./helpers/db-fixtures.js";
import { createTestDatabase, type TestDatabase } from "./helpers/test-db.js";

/** Every constraint of the schema that the code relies on, each violated once. */

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.dispose());

const db = () => t.db.kysely;

describe("workers", () => {
  it("rejects a second worker with the same name", async () => {
    const first = await makeWorker(db());
    const err = await pgError(insertWorker(db(), workerValues({ name: first.name })));
    expect(err).toEqual({ code: "23505", constraint: "workers_name_key" });
  });

  it("rejects a second worker with the same api_key_hash", async () => {
    const first = await makeWorker(db());
    const err = await pgError(insertWorker(db(), workerValues({ api_key_hash: first.api_key_hash })));
    expect(err).toEqual({ code: "23505", constraint: "workers_api_key_hash_key" });
  });

  it("keeps used CPU between 0 and the worker's total", async () => {
    const over = await pgError(makeWorker(db(), { cpu_millicores: 1000, used_cpu_millicores: 1001 }));
    expect(over).toEqual({ code: "23514", constraint: "workers_used_cpu_bounds" });
    const negative = await pgError(makeWorker(db(), { used_cpu_millicores: -1 }));
    expect(negative).toEqual({ code: "23514", constraint: "workers_used_cpu_bounds" });

    const full = await makeWorker(db(), { cpu_millicores: 1000, used_cpu_millicores: 1000 });
    expect(full.used_cpu_millicores).toBe(1000);
    const reserve = db()
      .updateTable("workers")
      .set((eb) => ({ used_cpu_millicores: eb("used_cpu_millicores", "+", 1) }))
      .where("id", "=", full.id)
      .execute();
    expect(await pgError(reserve)).toEqual({ code: "23514", constraint: "workers_used_cpu_bounds" });
  });

  it("keeps used memory between 0 and the worker's total", async () => {
    const over = await pgError(makeWorker(db(), { memory_mb: 512, used_memory_mb: 513 }));
    expect(over).toEqual({ code: "23514", constraint: "workers_used_memory_bounds" });
    const negative = await pgError(makeWorker(db(), { used_memory_mb: -1 }));
    expect(negative).toEqual({ code: "23514", constraint: "workers_used_memory_bounds" });
  });

  it("rejects a malformed name", async () => {
    const name = `Upper-${unique("w")}`;
    const err = await pgError(makeWorker(db(), { name }));
    expect(err).toEqual({ code: "23514", constraint: "workers_name_check" });
    expect(await findWorkerByName(db(), name)).toBeUndefined();
  });
});

describe("users", () => {
  it("rejects an email that is not lowercase", async () => {
    await makeUser(db()); // makes sure the plan exists
    const err = await pgError(
      insertUser(db(), { email: `${unique("Mixed")}@Example.com`, password_hash: "x", plan_name: TEST_PLAN }),
    );
    expect(err).toEqual({ code: "23514", constraint: "users_email_check" });
  });

  it("rejects a taken email", async () => {
    const user = await makeUser(db());
    const err = await pgError(makeUser(db(), user.email));
    expect(err).toEqual({ code: "23505", constraint: "users_email_key" });
  });

  it("rejects an unknown plan", async () => {
    const err = await pgError(
      insertUser(db(), {
        email: `${unique("u")}@example.com`,
        password_hash: "x",
        plan_name: "no-such-plan",
      }),
    );
    expect(err).toEqual({ code: "23503", constraint: "users_plan_name_fkey" });
  });
});

describe("apps", () => {
  it("rejects a taken slug", async () => {
    const user = await makeUser(db());
    const app = await makeApp(db(), user.id);
    const other = await makeUser(db());
    const err = await pgError(makeApp(db(), other.id, { slug: app.slug }));
    expect(err).toEqual({ code: "23505", constraint: "apps_slug_key" });
  });

  it("rejects a slug outside the pattern", async () => {
    const user = await makeUser(db());
    for (const slug of ["-leading", "trailing-", "Upper", "a".repeat(41)]) {
      expect(await pgError(makeApp(db(), user.id, { slug }))).toEqual({
        code: "23514",
        constraint: "apps_slug_check",
      });
    }
  });

  it("rejects an app of a user that does not exist", async () => {
    const err = await pgError(
      insertApp(db(), {
        user_id: 2_000_000_000,
        name: "a",
        slug: unique("app"),
        cpu_millicores: 1,
        memory_mb: 1,
      }),
    );
    expect(err).toEqual({ code: "23503", constraint: "apps_user_id_fkey" });
  });
});

describe("deployments", () => {
  const deployment = (appId: number, over: Partial<NewDeployment>): NewDeployment => ({
    app_id: appId,
    source_kind: "image",
    image: "docker.io/library/nginx:1",
    cpu_millicores: 250,
    memory_mb: 256,
    ...over,
  });

  it("allows one deployment per (worker_id, host_port)", async () => {
    const user = await makeUser(db());
    const app = await makeApp(db(), user.id);
    const w1 = await makeWorker(db());
    const w2 = await makeWorker(db());
    await insertDeployment(db(), deployment(app.id, { worker_id: w1.id, host_port: 20001 }));
    // The same port on another worker, and unplaced deployments, are fine.
    const elsewhere = await insertDeployment(
      db(),
      deployment(app.id, { worker_id: w2.id, host_port: 20001 }),
    );
    expect(elsewhere.host_port).toBe(20001);
    await insertDeployment(db(), deployment(app.id, {}));
    await insertDeployment(db(), deployment(app.id, {}));

    const err = await pgError(
      insertDeployment(db(), deployment(app.id, { worker_id: w1.id, host_port: 20001 })),
    );
    expect(err).toEqual({ code: "23505", constraint: "deployments_worker_host_port_key" });
  });

  it("rejects a host port outside 20000-29999", async () => {
    const user = await makeUser(db());
    const app = await makeApp(db(), user.id);
    for (const host_port of [19999, 30000]) {
      expect(await pgError(insertDeployment(db(), deployment(app.id, { host_port })))).toEqual({
        code: "23514",
        constraint: "deployments_host_port_check",
      });
    }
  });
});

describe("custom domains", () => {
  it("rejects a hostname already claimed by another app", async () => {
    const user = await makeUser(db());
    const a = await makeApp(db(), user.id);
    const b = await makeApp(db(), user.id);
    const hostname = `${unique("site")}.example.com`;
    const first = await insertCustomDomain(db(), { app_id: a.id, hostname, verification_token: "t1" });
    const err = await pgError(insertCustomDomain(db(), { app_id: b.id, hostname, verification_token: "t2" }));
    expect(err).toEqual({ code: "23505", constraint: "custom_domains_hostname_key" });
    expect((await findCustomDomainByHostname(db(), hostname))?.id).toBe(first.id);
  });

  it("rejects a hostname without a dot", async () => {
    const user = await makeUser(db());
    const app = await makeApp(db(), user.id);
    const err = await pgError(
      insertCustomDomain(db(), { app_id: app.id, hostname: "localhost", verification_token: "t" }),
    );
    expect(err).toEqual({ code: "23514", constraint: "custom_domains_hostname_check" });
  });
});

describe("alerts", () => {
  const alert = (userId: number, sourceId: string, over: Partial<NewAlert> = {}): NewAlert => ({
    user_id: userId,
    kind: "cpu",
    source_type: "app",
    source_id: sourceId,
    title: "CPU high",
    ...over,
  });

  it("allows at most one active alert per (user, source_type, source_id)", async () => {
    const user = await makeUser(db());
    const resolved = await insertAlert(
      db(),
      alert(user.id, "7", { status: "resolved", resolved_at: new Date() }),
    );
    expect(resolved.status).toBe("resolved");
    const active = await insertAlert(db(), alert(user.id, "7"));
    expect(active.status).toBe("active");
    // Another source, or another source type, is independent.
    await insertAlert(db(), alert(user.id, "8"));
    await insertAlert(db(), alert(user.id, "7", { source_type: "worker" }));

    const err = await pgError(insertAlert(db(), alert(user.id, "7")));
    expect(err).toEqual({ code: "23505", constraint: "alerts_one_active_per_source" });
  });

  it("requires resolved_at exactly when resolved", async () => {
    const user = await makeUser(db());
    const noTime = await pgError(insertAlert(db(), alert(user.id, "1", { status: "resolved" })));
    expect(noTime).toEqual({ code: "23514", constraint: "alerts_resolved_at" });
    const activeWithTime = await pgError(insertAlert(db(), alert(user.id, "2", { resolved_at: new Date() })));
    expect(activeWithTime).toEqual({ code: "23514", constraint: "alerts_resolved_at" });
  });
});

describe("alert rules and webhooks", () => {
  it("allows one rule per (app, kind)", async () => {
    const user = await makeUser(db());
    const app = await makeApp(db(), user.id);
    await insertAppAlertRule(db(), { app_id: app.id, kind: "cpu", threshold: 80, sustain_minutes: 5 });
    const err = await pgError(
      insertAppAlertRule(db(), { app_id: app.id, kind: "cpu", threshold: 90, sustain_minutes: 5 }),
    );
    expect(err).toEqual({ code: "23505", constraint: "app_alert_rules_app_kind_key" });
  });

  it("rejects a webhook without events and a duplicate delivery of one event", async () => {
    const user = await makeUser(db());
    const base = { user_id: user.id, url_enc: "e", url_display: "https://h.example/…", secret_enc: "s" };
    expect(await pgError(insertWebhook(db(), { ...base, events: [] }))).toEqual({
      code: "23514",
      constraint: "webhooks_events_check",
    });
    const hook = await insertWebhook(db(), { ...base, events: ["deploy.succeeded"] });
    const delivery = { webhook_id: hook.id, event_id: "evt-1", event_type: "deploy.succeeded", body: "{}" };
    await insertWebhookDelivery(db(), delivery);
    expect(await pgError(insertWebhookDelivery(db(), delivery))).toEqual({
      code: "23505",
      constraint: "webhook_deliveries_event_key",
    });
  });
});

describe("usage samples", () => {
  it("has one row per (app_id, bucket_start): a plain insert twice fails, the upsert merges", async () => {
    const user = await makeUser(db());
    const app = await makeApp(db(), user.id);
    const row: NewUsageSample = {
      app_id: app.id,
      user_id: user.id,
      bucket_start: new Date("2030-01-01T00:00:00Z"),
      samples: 1,
      cpu_pct_avg: 10,
      cpu_pct_max: 10,
      mem_bytes_avg: 100,
      mem_bytes_max: 100,
      net_mbps_avg: 1,
      net_mbps_max: 1,
      net_bytes_delta: 5,
    };
    await db().insertInto("usage_samples").values(row).execute();
    const err = await pgError(db().insertInto("usage_samples").values(row).execute());
    expect(err).toEqual({ code: "23505", constraint: "usage_samples_pkey" });

    await upsertUsageSamples(db(), [row]);
    const stored = await db().selectFrom("usage_samples").selectAll().where("app_id", "=", app.id).execute();
    expect(stored).toHaveLength(1);
    expect(stored[0]?.samples).toBe(2);
    expect(stored[0]?.net_bytes_delta).toBe(10);
  });

  it("rejects a negative network delta", async () => {
    const user = await makeUser(db());
    const app = await makeApp(db(), user.id);
    const err = await pgError(
      upsertUsageSamples(db(), [
        {
          app_id: app.id,
          user_id: user.id,
          bucket_start: new Date("2030-01-01T00:00:00Z"),
          samples: 1,
          cpu_pct_avg: 0,
          cpu_pct_max: 0,
          mem_bytes_avg: 0,
          mem_bytes_max: 0,
          net_mbps_avg: 0,
          net_mbps_max: 0,
          net_bytes_delta: -1,
        },
      ]),
    );
    expect(err).toEqual({ code: "23514", constraint: "usage_samples_net_bytes_delta_check" });
  });
});

describe("keys", () => {
  it("rejects a token hash that is not 64 lowercase hex characters", async () => {
    const err = await pgError(makeWorker(db(), { api_key_hash: hex64("x").toUpperCase() }));
    expect(err).toEqual({ code: "23514", constraint: "workers_api_key_hash_check" });
  });
});
