import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { makeApp, makeUser } from "../../test/helpers/db-fixtures.js";
import { createTestDatabase, silentLog, type TestDatabase } from "../../test/helpers/test-db.js";
import { Receiver } from "../../test/helpers/webhook-receiver.js";
import { SecretBox } from "../crypto/aes.js";
import type { AppRow } from "../db/apps.js";
import { findWebhookDeliveryById } from "../db/webhook-deliveries.js";
import { insertWebhook } from "../db/webhooks.js";
import type { EventType, PlatformEvent } from "../events/publisher.js";
import { DEFAULT_BACKOFF_MS } from "./backoff.js";
import { WebhookDispatcher, type WebhookDispatcherOptions } from "./dispatcher.js";
import type { WebhookPayload } from "./payload.js";
import { sealNewWebhook } from "./registration.js";

const box = new SecretBox("x".repeat(32));
const sec = 1000;

let t: TestDatabase;
let receiver: Receiver;
let app: AppRow;
let userId: number;
let clock: Date;
const dispatchers: WebhookDispatcher[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
  receiver = await Receiver.start();
  userId = (await makeUser(t.db.kysely)).id;
  app = await makeApp(t.db.kysely, userId, { name: "Shop" });
});
afterAll(async () => {
  await receiver.close();
  await t.dispose();
});
afterEach(async () => {
  await Promise.all(dispatchers.splice(0).map((d) => d.stop()));
  // Each test starts with no pending delivery and no webhook.
  await t.db.kysely.deleteFrom("webhooks").execute();
  receiver.requests.length = 0;
  receiver.respond = () => ({ status: 200, body: "ok" });
});

const db = () => t.db.kysely;

/** A dispatcher on a clock the test moves; loopback targets allowed (the receiver is on 127.0.0.1). */
function dispatcher(opts: Partial<WebhookDispatcherOptions> = {}): WebhookDispatcher {
  clock = new Date();
  const d = new WebhookDispatcher({
    db: db(),
    secretBox: box,
    log: silentLog,
    baseDomain: "apps.example.com",
    allowPrivateTargets: true,
    now: () => clock,
    random: () => 0.5,
    intervalMs: 60_000,
    ...opts,
  });
  dispatchers.push(d);
  return d;
}

async function webhook(url: string, events: EventType[], owner = userId, enabled = true) {
  const sealed = sealNewWebhook(box, { userId: owner, url, events, enabled });
  const row = await insertWebhook(db(), sealed.values);
  return { row, secret: sealed.secret };
}

function event(type: EventType = "deployment.succeeded", extra: Partial<PlatformEvent> = {}): PlatformEvent {
  return {
    type,
    app: { id: app.id, name: app.name, slug: app.slug, user_id: userId },
    deployment: { id: 1, commit_sha: "3f786850e387550fdab836ed7e6dc881de23001b", commit_message: "Add cart" },
    time: new Date("2031-05-06T07:08:09Z"),
    ...extra,
  };
}

const advance = (ms: number) => {
  clock = new Date(clock.getTime() + ms);
};

describe("publishing", () => {
  it("writes one delivery per enabled webhook of the owner subscribed to the type", async () => {
    const a = await webhook(receiver.url("/a"), ["deployment.succeeded", "app.cpu"]);
    const b = await webhook(receiver.url("/b"), ["deployment.succeeded"]);
    await webhook(receiver.url("/c"), ["app.cpu"]);
    await webhook(receiver.url("/d"), ["deployment.succeeded"], userId, false);
    const other = await makeUser(db());
    await webhook(receiver.url("/e"), ["deployment.succeeded"], other.id);

    const ids = await dispatcher().enqueue(db(), event());
    const rows = await db()
      .selectFrom("webhook_deliveries")
      .selectAll()
      .where("id", "in", ids)
      .orderBy("id")
      .execute();
    expect(rows.map((r) => r.webhook_id)).toEqual([a.row.id, b.row.id]);
    expect(new Set(rows.map((r) => r.event_id)).size).toBe(1);
    expect(rows[0]!.event_id).toMatch(/^evt_[0-9a-f-]{36}$/);
    expect(JSON.parse(rows[0]!.body)).toEqual({
      type: "deployment.succeeded",
      timestamp: "2031-05-06T07:08:09.000Z",
      data: {
        app: { id: app.id, name: "Shop", slug: app.slug, url: `https://${app.slug}.apps.example.com` },
        deployment: {
          id: 1,
          commit_sha: "3f786850e387550fdab836ed7e6dc881de23001b",
          commit_message: "Add cart",
        },
      },
    } satisfies WebhookPayload);
  });

  it("writes nothing when nobody subscribed", async () => {
    await webhook(receiver.url(), ["app.cpu"]);
    expect(await dispatcher().enqueue(db(), event("app.stopped"))).toEqual([]);
  });

  it("publishInTx writes in the caller's transaction: rolled back, nothing stays", async () => {
    await webhook(receiver.url(), ["app.stopped"]);
    const d = dispatcher();
    await expect(
      db()
        .transaction()
        .execute(async (trx) => {
          await trx.updateTable("apps").set({ status: "stopped" }).where("id", "=", app.id).execute();
          await d.publishInTx(trx, event("app.stopped"));
          throw new Error("roll back");
        }),
    ).rejects.toThrow("roll back");
    expect(await db().selectFrom("webhook_deliveries").selectAll().execute()).toEqual([]);

    await db()
      .transaction()
      .execute((trx) => d.publishInTx(trx, event("app.stopped")));
    expect(await d.runOnce()).toMatchObject({ claimed: 1, succeeded: 1 });
  });

  it("publish() never throws, wakes the started loop, and stop() waits for it", async () => {
    await webhook(receiver.url(), ["app.stopped"]);
    const d = dispatcher();
    await d.start();
    expect(() => d.publish(event("app.stopped"))).not.toThrow();
    await receiver.waitFor(1); // long before the 60 s interval
    await d.stop();
    const [row] = await db().selectFrom("webhook_deliveries").selectAll().execute();
    expect(row).toMatchObject({ status: "succeeded", attempts: 1 });
  });
});

describe("delivering", () => {
  it("sends Standard Webhooks signed JSON that the standardwebhooks package verifies", async () => {
    const { secret } = await webhook(receiver.url(), ["deployment.succeeded"]);
    const d = dispatcher();
    const [id] = await d.enqueue(db(), event());
    expect(await d.runOnce()).toEqual({ claimed: 1, succeeded: 1, retried: 0, failed: 0, lost: 0 });
    const [req] = receiver.requests;
    expect(req!.headers["content-type"]).toBe("application/json");
    const verified = new Webhook(secret).verify(req!.body, req!.headers) as WebhookPayload;
    expect(verified.type).toBe("deployment.succeeded");
    const row = await findWebhookDeliveryById(db(), id!);
    expect(row!.body).toBe(req!.body);
    expect(req!.headers["webhook-id"]).toBe(row!.event_id);
    expect(row).toMatchObject({ status: "succeeded", attempts: 1, last_status_code: 200, last_error: null });
    expect(row!.delivered_at).toEqual(clock);
  });

  it("retries a receiver that fails twice; the third attempt succeeds with the same webhook-id", async () => {
    const { secret } = await webhook(receiver.url(), ["deployment.succeeded"]);
    receiver.respond = (_req, i) => (i < 2 ? { status: 500, body: "boom" } : { status: 204 });
    const d = dispatcher();
    const [id] = await d.enqueue(db(), event());

    expect(await d.runOnce()).toMatchObject({ claimed: 1, retried: 1 });
    let row = await findWebhookDeliveryById(db(), id!);
    expect(row).toMatchObject({
      status: "pending",
      attempts: 1,
      last_status_code: 500,
      last_error: "HTTP 500: boom",
    });
    expect(row!.next_attempt_at.getTime() - clock.getTime()).toBe(30 * sec); // random 0.5 = no jitter
    expect(await d.runOnce()).toMatchObject({ claimed: 0 }); // not due yet

    advance(30 * sec);
    expect(await d.runOnce()).toMatchObject({ claimed: 1, retried: 1 });
    row = await findWebhookDeliveryById(db(), id!);
    expect(row!.next_attempt_at.getTime() - clock.getTime()).toBe(120 * sec);

    advance(120 * sec);
    expect(await d.runOnce()).toMatchObject({ claimed: 1, succeeded: 1 });
    row = await findWebhookDeliveryById(db(), id!);
    expect(row).toMatchObject({ status: "succeeded", attempts: 3, last_status_code: 204, last_error: null });

    expect(receiver.requests).toHaveLength(3);
    const ids = new Set(receiver.requests.map((r) => r.headers["webhook-id"]));
    expect(ids).toEqual(new Set([row!.event_id]));
    for (const r of receiver.requests)
      expect(() => new Webhook(secret).verify(r.body, r.headers)).not.toThrow();
  });

  it("backs off 30 s, 2 min, 10 min, 1 h, 6 h (±20 %) and fails for good after the 6th attempt", async () => {
    await webhook(receiver.url(), ["deployment.succeeded"]);
    receiver.respond = () => ({ status: 503 });
    let r = 0;
    const randoms = [0, 1, 0.5, 0, 0.999];
    const d = dispatcher({ random: () => randoms[r++] ?? 0.5 });
    const [id] = await d.enqueue(db(), event());
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 6; attempt++) {
      expect(await d.runOnce()).toMatchObject({ claimed: 1 });
      const row = await findWebhookDeliveryById(db(), id!);
      expect(row!.attempts).toBe(attempt);
      if (attempt < 6) {
        expect(row!.status).toBe("pending");
        delays.push(row!.next_attempt_at.getTime() - clock.getTime());
        clock = row!.next_attempt_at;
      } else expect(row).toMatchObject({ status: "failed", last_status_code: 503, last_error: "HTTP 503" });
    }
    const [b30, b2m, b10m, b1h, b6h] = DEFAULT_BACKOFF_MS as [number, number, number, number, number];
    expect(delays).toEqual([b30 * 0.8, b2m * 1.2, b10m, b1h * 0.8, Math.round(b6h * (0.8 + 0.4 * 0.999))]);
    advance(24 * 3600 * sec);
    expect(await d.runOnce()).toMatchObject({ claimed: 0 });
    expect(receiver.requests).toHaveLength(6);
  });

  it("counts a redirect as a failure and does not follow it", async () => {
    await webhook(receiver.url("/hook"), ["deployment.succeeded"]);
    receiver.respond = () => ({ status: 302, headers: { location: receiver.url("/elsewhere") } });
    const d = dispatcher();
    const [id] = await d.enqueue(db(), event());
    expect(await d.runOnce()).toMatchObject({ retried: 1 });
    expect(receiver.requests.map((r) => r.path)).toEqual(["/hook"]);
    expect(await findWebhookDeliveryById(db(), id!)).toMatchObject({
      status: "pending",
      last_status_code: 302,
      last_error: expect.stringContaining("redirect") as string,
    });
  });

  it("times out a hanging receiver at the configured timeout", async () => {
    await webhook(receiver.url(), ["deployment.succeeded"]);
    receiver.respond = () => "hang";
    const d = dispatcher({ timeoutMs: 300 });
    const [id] = await d.enqueue(db(), event());
    const t0 = performance.now();
    expect(await d.runOnce()).toMatchObject({ retried: 1 });
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(5000);
    expect(await findWebhookDeliveryById(db(), id!)).toMatchObject({
      last_status_code: null,
      last_error: "timed out after 300 ms",
    });
  });

  it("refuses a loopback target when private targets are not allowed, without connecting", async () => {
    await webhook(receiver.url(), ["deployment.succeeded"]);
    const d = dispatcher({ allowPrivateTargets: false });
    const [id] = await d.enqueue(db(), event());
    expect(await d.runOnce()).toMatchObject({ retried: 1 });
    expect(receiver.requests).toHaveLength(0);
    expect((await findWebhookDeliveryById(db(), id!))!.last_error).toMatch(/^refused 127\.0\.0\.1: loopback/);
  });

  it("fails a disabled webhook's pending delivery for good without sending", async () => {
    const { row: hook } = await webhook(receiver.url(), ["deployment.succeeded"]);
    const d = dispatcher();
    const [id] = await d.enqueue(db(), event());
    await db().updateTable("webhooks").set({ enabled: false }).where("id", "=", hook.id).execute();
    expect(await d.runOnce()).toMatchObject({ failed: 1 });
    expect(receiver.requests).toHaveLength(0);
    expect(await findWebhookDeliveryById(db(), id!)).toMatchObject({
      status: "failed",
      last_error: "webhook disabled",
    });
  });

  it("formats chat URLs as text instead of signed JSON", async () => {
    await webhook(`generic+http://127.0.0.1:${receiver.port}/chat?template=json`, ["app.cpu"]);
    const d = dispatcher();
    await d.enqueue(
      db(),
      event("app.cpu", { alert: { id: 5, kind: "cpu", value: 97, threshold: 90, sustain_minutes: 5 } }),
    );
    expect(await d.runOnce()).toMatchObject({ succeeded: 1 });
    const [req] = receiver.requests;
    expect(req!.path).toBe("/chat");
    expect(req!.headers["webhook-signature"]).toBeUndefined();
    expect(JSON.parse(req!.body)).toEqual({
      title: "High CPU usage — Shop",
      message: `🔥 High CPU usage — Shop\nhttps://${app.slug}.apps.example.com\ncpu: 97 (threshold 90, for 5 min)`,
    });
  });
});

describe("the loop", () => {
  it("groups a burst of publishes and delivers them all, in publish order per webhook", async () => {
    await webhook(receiver.url("/a"), ["app.stopped"]);
    await webhook(receiver.url("/b"), ["app.stopped"]);
    const d = dispatcher({ batchSize: 7 });
    await d.start();
    for (let i = 0; i < 40; i++) d.publish(event("app.stopped", { reason: `#${i}` }));
    await receiver.waitFor(80);
    await d.stop();
    const rows = await db().selectFrom("webhook_deliveries").select(["status"]).execute();
    expect(rows).toHaveLength(80);
    expect(rows.every((r) => r.status === "succeeded")).toBe(true);
    const reasons = receiver.requests
      .filter((r) => r.path === "/a")
      .map((r) => (JSON.parse(r.body) as { data: { reason: string } }).data.reason);
    expect(new Set(reasons).size).toBe(40);
  });

  it("does not let a hanging receiver hold up the others", async () => {
    await webhook(receiver.url("/slow"), ["app.stopped"]);
    await webhook(receiver.url("/fast"), ["app.stopped"]);
    receiver.respond = (req) => (req.path === "/slow" ? "hang" : { status: 200 });
    // Sends that waited for a hanging one would start only after its timeout.
    const timeoutMs = 6000;
    const d = dispatcher({ timeoutMs, batchSize: 4 });
    await d.start();
    const t0 = performance.now();
    for (let i = 0; i < 10; i++) d.publish(event("app.stopped"));
    await receiver.waitFor(20); // every send started while the slow ones still hang
    expect(performance.now() - t0).toBeLessThan(timeoutMs);
    await d.stop();
    const byStatus = await db()
      .selectFrom("webhook_deliveries")
      .innerJoin("webhooks", "webhooks.id", "webhook_deliveries.webhook_id")
      .select(["webhook_deliveries.status", "webhooks.url_display"])
      .execute();
    expect(byStatus.filter((r) => r.status === "succeeded")).toHaveLength(10);
    expect(byStatus.filter((r) => r.status === "pending")).toHaveLength(10);
  });
});

describe("sendTestEvent", () => {
  it("sends a signed sample with test: true through the guard", async () => {
    const { row, secret } = await webhook(receiver.url(), ["app.memory", "app.cpu"]);
    const result = await dispatcher().sendTestEvent(row);
    expect(result).toMatchObject({
      ok: true,
      statusCode: 200,
      messageId: expect.stringMatching(/^test_evt_/) as string,
    });
    const [req] = receiver.requests;
    const body = new Webhook(secret).verify(req!.body, req!.headers) as WebhookPayload & { test?: boolean };
    // The first subscribed type, in catalogue order.
    expect(body).toMatchObject({ type: "app.cpu", test: true, data: { alert: { kind: "cpu" } } });
    expect(await db().selectFrom("webhook_deliveries").selectAll().execute()).toEqual([]);
  });

  it("is refused by the SSRF guard like a delivery", async () => {
    const { row } = await webhook(receiver.url(), ["app.cpu"]);
    const result = await dispatcher({ allowPrivateTargets: false }).sendTestEvent(row, { type: "app.cpu" });
    expect(result).toMatchObject({ ok: false, blocked: true });
    expect(receiver.requests).toHaveLength(0);
  });
});
