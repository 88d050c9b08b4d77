import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routeId, type UserRoute } from "../../src/web/route.js";
import { ApiClient, signUp, type ApiResponse } from "../helpers/api-client.js";
import { startTestControlPlane, type TestControlPlane } from "../helpers/control-plane.js";
import { Receiver } from "../helpers/webhook-receiver.js";

/**
 * The authorization matrix, generated from the route table: every route is
 * called as anonymous, as a signed-in user who does not own the object, as
 * the owner, and as an admin. A route added to the table without a row here
 * fails the first test, so no route escapes the matrix.
 *
 * Kinds:
 * - anonymous: anyone gets past authorization (never 401/403);
 * - self: acts on the caller's own account; anonymous → 401, any user → `ok`;
 * - owned: addresses one user's object; anonymous → 401, another user → 404,
 *   an admin who does not own it → 404, the owner → `ok`;
 * - admin: anonymous → 401, a non-admin → 403, an admin → `ok`.
 */

interface Objects {
  slug: string;
  deploymentId: number;
  hostname: string;
  webhookId: number;
  tokenId: number;
  sessionId: number;
  inviteId: number;
  ownerId: number;
}

interface Row {
  kind: "anonymous" | "self" | "owned" | "admin";
  path: (o: Objects) => string;
  body?: (o: Objects) => unknown;
  /** Status of a caller who passes authorization (owner, self, admin). */
  ok: number;
  /**
   * Destructive for the owner: the owner's call runs on a fresh object that
   * `fresh` makes (so the shared objects survive for the other rows).
   */
  fresh?: (owner: ApiClient, o: Objects) => Promise<Objects>;
}

let receiver: Receiver;
const freshApp = async (owner: ApiClient, o: Objects): Promise<Objects> => {
  const r = await owner.post("/apps", { name: `fresh ${Math.random().toString(36).slice(2, 8)}` });
  return { ...o, slug: r.body.app.slug };
};

const MATRIX: Record<string, Row> = {
  "GET /openapi.json": { kind: "anonymous", path: () => "/openapi.json", ok: 200 },
  "GET /auth/signup-mode": { kind: "anonymous", path: () => "/auth/signup-mode", ok: 200 },
  "POST /auth/signup": {
    kind: "anonymous",
    path: () => "/auth/signup",
    body: () => ({ email: `someone-${Date.now()}@example.com`, password: "long enough password" }),
    ok: 201,
  },
  "POST /auth/login": {
    kind: "anonymous",
    path: () => "/auth/login",
    body: () => ({ email: "nobody@example.com", password: "wrong password" }),
    ok: 401,
  },
  "POST /auth/logout": { kind: "self", path: () => "/auth/logout", ok: 204 },
  "GET /me": { kind: "self", path: () => "/me", ok: 200 },
  "POST /me/password": {
    kind: "self",
    path: () => "/me/password",
    body: () => ({ current_password: "not the password", new_password: "another long password" }),
    ok: 400,
  },
  "POST /me/totp/setup": { kind: "self", path: () => "/me/totp/setup", ok: 200 },
  "POST /me/totp/enable": {
    kind: "self",
    path: () => "/me/totp/enable",
    body: () => ({ code: "000000" }),
    ok: 400,
  },
  "POST /me/totp/disable": {
    kind: "self",
    path: () => "/me/totp/disable",
    body: () => ({ code: "000000" }),
    ok: 409,
  },
  "GET /me/sessions": { kind: "self", path: () => "/me/sessions", ok: 200 },
  "DELETE /me/sessions/:id": {
    kind: "owned",
    path: (o) => `/me/sessions/${o.sessionId}`,
    ok: 204,
    fresh: async (_owner, o) => {
      const second = new ApiClient(_owner.baseUrl);
      await second.post("/auth/login", { email: "owner@example.com", password: "correct horse battery" });
      const list = await second.get("/me/sessions");
      const mine = list.body.sessions.find((s: { current: boolean }) => s.current);
      return { ...o, sessionId: mine.id };
    },
  },
  "POST /tokens": { kind: "self", path: () => "/tokens", body: () => ({ name: "matrix" }), ok: 201 },
  "GET /tokens": { kind: "self", path: () => "/tokens", ok: 200 },
  "DELETE /tokens/:id": {
    kind: "owned",
    path: (o) => `/tokens/${o.tokenId}`,
    ok: 204,
    fresh: async (owner, o) => ({ ...o, tokenId: (await owner.post("/tokens", { name: "fresh" })).body.id }),
  },
  "GET /apps": { kind: "self", path: () => "/apps", ok: 200 },
  "POST /apps": { kind: "self", path: () => "/apps", body: () => ({ name: "self app" }), ok: 201 },
  "GET /apps/:slug": { kind: "owned", path: (o) => `/apps/${o.slug}`, ok: 200 },
  "PATCH /apps/:slug": {
    kind: "owned",
    path: (o) => `/apps/${o.slug}`,
    body: () => ({ name: "renamed" }),
    ok: 200,
  },
  "DELETE /apps/:slug": { kind: "owned", path: (o) => `/apps/${o.slug}`, ok: 202, fresh: freshApp },
  "POST /apps/:slug/restart": { kind: "owned", path: (o) => `/apps/${o.slug}/restart`, ok: 409 },
  "POST /apps/:slug/stop": { kind: "owned", path: (o) => `/apps/${o.slug}/stop`, ok: 409 },
  "POST /apps/:slug/start": { kind: "owned", path: (o) => `/apps/${o.slug}/start`, ok: 409 },
  "GET /apps/:slug/logs": { kind: "owned", path: (o) => `/apps/${o.slug}/logs?tail=5`, ok: 200 },
  "POST /apps/:slug/deployments": {
    kind: "owned",
    path: (o) => `/apps/${o.slug}/deployments`,
    body: () => ({ image: "docker.io/library/nginx:1.27" }),
    ok: 202,
  },
  "GET /apps/:slug/deployments": { kind: "owned", path: (o) => `/apps/${o.slug}/deployments`, ok: 200 },
  "GET /deployments/:id": { kind: "owned", path: (o) => `/deployments/${o.deploymentId}`, ok: 200 },
  "GET /deployments/:id/log": { kind: "owned", path: (o) => `/deployments/${o.deploymentId}/log`, ok: 200 },
  "POST /apps/:slug/domains": {
    kind: "owned",
    path: (o) => `/apps/${o.slug}/domains`,
    body: () => ({ hostname: `w${Math.random().toString(36).slice(2, 8)}.example.net` }),
    ok: 201,
  },
  "GET /apps/:slug/domains": { kind: "owned", path: (o) => `/apps/${o.slug}/domains`, ok: 200 },
  "POST /apps/:slug/domains/:hostname/verify": {
    kind: "owned",
    path: (o) => `/apps/${o.slug}/domains/${o.hostname}/verify`,
    ok: 409,
  },
  "DELETE /apps/:slug/domains/:hostname": {
    kind: "owned",
    path: (o) => `/apps/${o.slug}/domains/${o.hostname}`,
    ok: 204,
    fresh: async (owner, o) => {
      const hostname = `d${Math.random().toString(36).slice(2, 8)}.example.net`;
      await owner.post(`/apps/${o.slug}/domains`, { hostname });
      return { ...o, hostname };
    },
  },
  "GET /apps/:slug/alert-rules": { kind: "owned", path: (o) => `/apps/${o.slug}/alert-rules`, ok: 200 },
  "PUT /apps/:slug/alert-rules": {
    kind: "owned",
    path: (o) => `/apps/${o.slug}/alert-rules`,
    body: () => ({ rules: [{ kind: "cpu", threshold: 90, sustain_minutes: 5, enabled: true }] }),
    ok: 200,
  },
  "GET /alerts": { kind: "self", path: () => "/alerts", ok: 200 },
  "GET /apps/:slug/usage": { kind: "owned", path: (o) => `/apps/${o.slug}/usage`, ok: 200 },
  "GET /apps/:slug/stats": { kind: "owned", path: (o) => `/apps/${o.slug}/stats`, ok: 200 },
  "GET /apps-stats": { kind: "self", path: () => "/apps-stats", ok: 200 },
  "GET /webhooks": { kind: "self", path: () => "/webhooks", ok: 200 },
  "POST /webhooks": {
    kind: "self",
    path: () => "/webhooks",
    body: () => ({ url: receiver.url(), events: ["deployment.failed"] }),
    ok: 201,
  },
  "DELETE /webhooks/:id": {
    kind: "owned",
    path: (o) => `/webhooks/${o.webhookId}`,
    ok: 204,
    fresh: async (owner, o) => ({
      ...o,
      webhookId: (await owner.post("/webhooks", { url: receiver.url(), events: ["app.stopped"] })).body
        .webhook.id,
    }),
  },
  "POST /webhooks/:id/test": { kind: "owned", path: (o) => `/webhooks/${o.webhookId}/test`, ok: 200 },
  "GET /webhooks/:id/deliveries": {
    kind: "owned",
    path: (o) => `/webhooks/${o.webhookId}/deliveries`,
    ok: 200,
  },
  "GET /admin/workers": { kind: "admin", path: () => "/admin/workers", ok: 200 },
  "POST /admin/join-tokens": { kind: "admin", path: () => "/admin/join-tokens", body: () => ({}), ok: 201 },
  "GET /admin/stats": { kind: "admin", path: () => "/admin/stats", ok: 200 },
  "GET /admin/plans": { kind: "admin", path: () => "/admin/plans", ok: 200 },
  "PUT /admin/plans/:name": {
    kind: "admin",
    path: () => "/admin/plans/matrix",
    body: () => ({ max_apps: 2, max_cpu_millicores: 500, max_memory_mb: 512 }),
    ok: 200,
  },
  "GET /admin/users": { kind: "admin", path: () => "/admin/users", ok: 200 },
  "PATCH /admin/users/:id": {
    kind: "admin",
    path: (o) => `/admin/users/${o.ownerId}`,
    body: () => ({ plan: "pro" }),
    ok: 200,
  },
  "POST /admin/invites": { kind: "admin", path: () => "/admin/invites", body: () => ({}), ok: 201 },
  "GET /admin/invites": { kind: "admin", path: () => "/admin/invites", ok: 200 },
  "DELETE /admin/invites/:id": { kind: "admin", path: (o) => `/admin/invites/${o.inviteId}`, ok: 204 },
};

let cp: TestControlPlane;
let admin: ApiClient;
let owner: ApiClient;
let stranger: ApiClient;
let objects: Objects;
let routes: readonly UserRoute[];

function call(client: ApiClient, route: UserRoute, row: Row, o: Objects): Promise<ApiResponse> {
  return client.request(
    route.method,
    row.path(o),
    row.body ? row.body(o) : route.method === "GET" ? undefined : {},
  );
}

beforeAll(async () => {
  receiver = await Receiver.start(() => ({ status: 204 }));
  cp = await startTestControlPlane(
    { resolveTxt: () => Promise.resolve([["no-match"]]) },
    { WISEHOSTING_AUTH_OPEN_SIGNUP: "true", WISEHOSTING_WEBHOOKS_ALLOW_PRIVATE_TARGETS: "true" },
  );
  routes = cp.parts.userRoutes;
  admin = await signUp(cp.url, "admin@example.com");
  owner = await signUp(cp.url, "owner@example.com");
  stranger = await signUp(cp.url, "stranger@example.com");
  // Room for the fresh apps the destructive rows make.
  const ownerId: number = (await owner.get("/me")).body.user.id;
  expect((await admin.patch(`/admin/users/${ownerId}`, { plan: "unlimited" })).status).toBe(200);
  const app = await owner.post("/apps", { name: "matrix shop" });
  const slug: string = app.body.app.slug;
  const dep = await owner.post(`/apps/${slug}/deployments`, { image: "docker.io/library/nginx:1.27" });
  const hostname = "shop.example.org";
  await owner.post(`/apps/${slug}/domains`, { hostname });
  const hook = await owner.post("/webhooks", { url: receiver.url(), events: ["deployment.succeeded"] });
  const token = await owner.post("/tokens", { name: "kept" });
  const sessions = await owner.get("/me/sessions");
  const invite = await admin.post("/admin/invites", {});
  objects = {
    slug,
    deploymentId: dep.body.deployment.id,
    hostname,
    webhookId: hook.body.webhook.id,
    tokenId: token.body.id,
    sessionId: sessions.body.sessions[0].id,
    inviteId: invite.body.id,
    ownerId,
  };
  for (const v of Object.values(objects)) expect(v).toBeDefined();
});

afterAll(async () => {
  await cp?.stop();
  await receiver?.close();
});

describe("authorization matrix", () => {
  it("has exactly one row per route of the table", () => {
    const ids = routes.map(routeId).sort();
    expect(ids).toEqual(Object.keys(MATRIX).sort());
    for (const r of routes) {
      const kind = MATRIX[routeId(r)]!.kind;
      const expected = kind === "anonymous" ? "anonymous" : kind === "admin" ? "admin" : "user";
      expect(r.access, routeId(r)).toBe(expected);
    }
  });

  it("refuses anonymous callers on every user and admin route (401)", async () => {
    const anon = new ApiClient(cp.url);
    for (const r of routes) {
      const row = MATRIX[routeId(r)]!;
      if (row.kind === "anonymous") continue;
      const res = await call(anon, r, row, objects);
      expect(res.status, routeId(r)).toBe(401);
    }
  });

  it("answers 404 to a user who does not own the object, and to an admin who does not", async () => {
    for (const caller of [stranger, admin]) {
      for (const r of routes) {
        const row = MATRIX[routeId(r)]!;
        if (row.kind !== "owned") continue;
        const res = await call(caller, r, row, objects);
        expect(res.status, `${routeId(r)} as ${caller === admin ? "admin" : "stranger"}`).toBe(404);
      }
    }
    // Nothing of the owner's changed under those calls.
    expect((await owner.get(`/apps/${objects.slug}`)).body.app.name).toBe("matrix shop");
    expect((await owner.get(`/apps/${objects.slug}/domains`)).body.domains).toHaveLength(1);
    expect((await owner.get("/webhooks")).body.webhooks).toHaveLength(1);
    expect((await owner.get("/tokens")).body.tokens).toHaveLength(1);
  });

  it("answers 403 to a signed-in non-admin on every admin route", async () => {
    for (const r of routes) {
      const row = MATRIX[routeId(r)]!;
      if (row.kind !== "admin") continue;
      const res = await call(owner, r, row, objects);
      expect(res.status, routeId(r)).toBe(403);
      expect(res.body.error.code).toBe("forbidden");
    }
  });

  it("lets the owner, the account itself, the admin and anyone (anonymous routes) through", async () => {
    // Routes that end the caller's session run last, on their own sign-in.
    const order = [...routes].sort(
      (a, b) => Number(routeId(a) === "POST /auth/logout") - Number(routeId(b) === "POST /auth/logout"),
    );
    for (const r of order) {
      const row = MATRIX[routeId(r)]!;
      let client: ApiClient;
      if (row.kind === "admin") client = admin;
      else if (row.kind === "anonymous") client = new ApiClient(cp.url);
      else if (routeId(r) === "POST /auth/logout") client = await loginAgain("stranger@example.com");
      else client = owner;
      const o = row.fresh ? await row.fresh(owner, objects) : objects;
      const res = await call(client, r, row, o);
      expect(res.status, `${routeId(r)}: ${JSON.stringify(res.body).slice(0, 200)}`).toBe(row.ok);
    }
  });
});

async function loginAgain(email: string): Promise<ApiClient> {
  const c = new ApiClient(cp.url);
  const r = await c.post("/auth/login", { email, password: "correct horse battery" });
  expect(r.status).toBe(200);
  return c;
}
