import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppRow } from "../../src/db/apps.js";
import { signUp, type ApiClient } from "../helpers/api-client.js";
import { startTestControlPlane, type TestControlPlane } from "../helpers/control-plane.js";
import { makeApp } from "../helpers/db-fixtures.js";
import { Receiver } from "../helpers/webhook-receiver.js";

let cp: TestControlPlane;
let receiver: Receiver;
let alice: ApiClient;
let bob: ApiClient;
let aliceApp: AppRow;

beforeAll(async () => {
  cp = await startTestControlPlane(
    {},
    { WISEHOSTING_AUTH_OPEN_SIGNUP: "true", WISEHOSTING_WEBHOOKS_ALLOW_PRIVATE_TARGETS: "true" },
  );
  receiver = await Receiver.start((req) =>
    req.path.startsWith("/fail") ? { status: 500, body: "nope" } : { status: 200, body: "ok" },
  );
  alice = await signUp(cp.url, "alice@example.com");
  bob = await signUp(cp.url, "bob@example.com");
  const aliceId = ((await alice.get("/me")).body as { user: { id: number } }).user.id;
  aliceApp = await makeApp(cp.t.db.kysely, aliceId, { name: "Shop" });
});
afterAll(async () => {
  await cp.stop();
  await receiver.close();
});

const TOKEN = "tok3n-in-the-path";
const QUERY_SECRET = "q-secret-value";

describe("creating and listing", () => {
  let id: number;
  let secret: string;

  it("shows the secret once, and never the URL's tokens", async () => {
    const r = await alice.post("/webhooks", {
      url: receiver.url(`/hook/${TOKEN}?key=${QUERY_SECRET}`),
      events: ["app.stopped", "deployment.succeeded", "app.stopped"],
    });
    expect(r.status).toBe(201);
    secret = r.body.secret as string;
    expect(secret).toMatch(/^whsec_/);
    id = r.body.webhook.id as number;
    expect(r.body.webhook).toMatchObject({
      url: `http://127.0.0.1:${receiver.port}/…?…`,
      events: ["deployment.succeeded", "app.stopped"],
      enabled: true,
    });
    expect(JSON.stringify(r.body.webhook)).not.toContain(TOKEN);

    const list = await alice.get("/webhooks");
    expect(list.status).toBe(200);
    expect(list.body.webhooks).toEqual([r.body.webhook]);
    const text = JSON.stringify(list.body);
    for (const hidden of [TOKEN, QUERY_SECRET, secret, "whsec_"]) expect(text).not.toContain(hidden);
    // Nor is anything stored in the clear.
    const row = await cp.t.db.kysely
      .selectFrom("webhooks")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    for (const hidden of [TOKEN, QUERY_SECRET, secret]) expect(JSON.stringify(row)).not.toContain(hidden);
  });

  it.each([
    ["a malformed URL", { url: "http://", events: ["app.stopped"] }, "webhook_url_invalid"],
    ["an unknown scheme", { url: "ftp://example.com/x", events: ["app.stopped"] }, "webhook_url_invalid"],
    [
      "an unknown event",
      { url: "https://example.com/h", events: ["app.exploded"] },
      "webhook_events_invalid",
    ],
    ["no events", { url: "https://example.com/h", events: [] }, "invalid_request"],
    ["a missing url", { events: ["app.stopped"] }, "invalid_request"],
  ])("refuses %s with a 400", async (_what, body, code) => {
    const before = (await alice.get("/webhooks")).body.webhooks.length as number;
    const r = await alice.post("/webhooks", body);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe(code);
    expect((await alice.get("/webhooks")).body.webhooks).toHaveLength(before);
  });

  it("treats another user's webhook as missing", async () => {
    expect((await bob.get("/webhooks")).body.webhooks).toEqual([]);
    expect((await bob.post(`/webhooks/${id}/test`)).status).toBe(404);
    expect((await bob.get(`/webhooks/${id}/deliveries`)).status).toBe(404);
    expect((await bob.delete(`/webhooks/${id}`)).status).toBe(404);
    expect((await alice.get("/webhooks")).body.webhooks.map((w: { id: number }) => w.id)).toContain(id);
  });

  it("sends a signed test event to the receiver", async () => {
    const before = receiver.requests.length;
    const r = await alice.post(`/webhooks/${id}/test`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ delivered: true, status_code: 200, error: null });
    await receiver.waitFor(before + 1);
    const got = receiver.requests[before]!;
    expect(got.path).toBe(`/hook/${TOKEN}?key=${QUERY_SECRET}`);
    expect(got.headers["webhook-id"]).toMatch(/^test_/);
    expect(got.headers["webhook-signature"]).toMatch(/^v1,/);
    expect(JSON.parse(got.body)).toMatchObject({ type: "deployment.succeeded", test: true });
    // A test is not a delivery: nothing is stored.
    expect((await alice.get(`/webhooks/${id}/deliveries`)).body.deliveries).toEqual([]);
  });

  it("reports a failed test with the receiver's status", async () => {
    const made = await alice.post("/webhooks", { url: receiver.url("/fail"), events: ["app.cpu"] });
    expect(made.status).toBe(201);
    const r = await alice.post(`/webhooks/${made.body.webhook.id}/test`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ delivered: false, status_code: 500 });
    expect(r.body.error).toEqual(expect.any(String));
    expect((await alice.delete(`/webhooks/${made.body.webhook.id}`)).status).toBe(204);
  });

  it("lists deliveries of published events, newest first", async () => {
    const before = receiver.requests.length;
    for (const type of ["app.stopped", "deployment.succeeded"] as const) {
      cp.parts.publisher.publish({
        type,
        app: { id: aliceApp.id, name: aliceApp.name, slug: aliceApp.slug, user_id: aliceApp.user_id },
        time: new Date(),
      });
    }
    await receiver.waitFor(before + 2);
    await expect
      .poll(async () => {
        const r = await alice.get(`/webhooks/${id}/deliveries`);
        return (r.body.deliveries as { status: string }[]).map((d) => d.status);
      })
      .toEqual(["succeeded", "succeeded"]);
    const r = await alice.get(`/webhooks/${id}/deliveries`);
    const [newest, oldest] = r.body.deliveries;
    expect(newest.id).toBeGreaterThan(oldest.id);
    expect(newest).toMatchObject({
      event_type: "deployment.succeeded",
      attempts: 1,
      last_status_code: 200,
      last_error: null,
      next_attempt_at: null,
    });
    expect(Date.parse(newest.delivered_at as string)).not.toBeNaN();
    expect(oldest.event_type).toBe("app.stopped");
    expect(Object.keys(newest).sort()).toEqual(
      [
        "id",
        "event_id",
        "event_type",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "created_at",
        "delivered_at",
        "next_attempt_at",
      ].sort(),
    );
  });

  it("deletes a webhook", async () => {
    expect((await alice.delete(`/webhooks/${id}`)).status).toBe(204);
    expect((await alice.delete(`/webhooks/${id}`)).status).toBe(404);
    expect((await alice.get(`/webhooks/${id}/deliveries`)).status).toBe(404);
    expect((await alice.get("/webhooks")).body.webhooks).toEqual([]);
  });
});

it("caps an account at 20 webhooks", async () => {
  const carol = await signUp(cp.url, "carol@example.com");
  const made = await Promise.all(
    Array.from({ length: 22 }, (_, i) =>
      carol.post("/webhooks", { url: `https://example.com/h${i}`, events: ["app.stopped"] }),
    ),
  );
  expect(made.filter((r) => r.status === 201)).toHaveLength(20);
  const refused = made.filter((r) => r.status !== 201);
  expect(refused).toHaveLength(2);
  for (const r of refused) {
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: "webhook_limit" });
    expect(r.body.error.message).toContain("at most 20 webhooks");
  }
  expect((await carol.get("/webhooks")).body.webhooks).toHaveLength(20);
});
