import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateApiKey } from "../../src/crypto/api-key.js";
import type { UserApiDeps } from "../../src/web/deps.js";
import { adminRoutes } from "../../src/web/routes/admin-routes.js";
import { ApiClient, signUp } from "../helpers/api-client.js";
import { startTestControlPlane, type TestControlPlane } from "../helpers/control-plane.js";
import { makeApp } from "../helpers/db-fixtures.js";

const PASSWORD = "correct horse battery";
const HOUR = 3600 * 1000;

let cp: TestControlPlane;
let admin: ApiClient;
let nowMs = Date.now();

/** Signs up through an invite made by `by` (sign-up is closed on this control plane). */
async function invitedUser(by: ApiClient, email: string, plan?: string): Promise<ApiClient> {
  const invite = await by.post("/admin/invites", { email, ...(plan ? { plan } : {}) });
  expect(invite.status).toBe(201);
  const c = new ApiClient(cp.url);
  const r = await c.post("/auth/signup", { email, password: PASSWORD, invite_token: invite.body.token });
  expect(r.status).toBe(201);
  return c;
}

function register(token: string, body: Record<string, unknown>) {
  return fetch(`${cp.url}/v1/workers/register`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
}

beforeAll(async () => {
  cp = await startTestControlPlane({ now: () => new Date(nowMs) });
  admin = await signUp(cp.url, "admin@example.com");
});
afterAll(() => cp.stop());

describe("access", () => {
  it("refuses every admin route to a user (403) and to anonymous callers (401)", async () => {
    const user = await invitedUser(admin, "plain@example.com");
    const anon = new ApiClient(cp.url);
    const routes = adminRoutes({} as UserApiDeps);
    expect(routes.length).toBeGreaterThanOrEqual(9);
    for (const r of routes) {
      expect(r.access, r.url).toBe("admin");
      const path = r.url.replace(":name", "free").replace(":id", "1");
      const body = r.method === "GET" || r.method === "DELETE" ? undefined : {};
      expect((await user.request(r.method, path, body)).status, `${r.method} ${path}`).toBe(403);
      expect((await anon.request(r.method, path, body)).status, `${r.method} ${path}`).toBe(401);
    }
  });
});

describe("workers and join tokens", () => {
  it("registers a worker with a single-use join token and lists it without secrets", async () => {
    expect((await admin.post("/admin/join-tokens", { ttl_s: 59 })).body.error.message).toMatch(/^ttl_s:/);
    expect((await admin.post("/admin/join-tokens", { ttl_s: 604_801 })).status).toBe(400);
    const created = await admin.post("/admin/join-tokens", { ttl_s: 600 });
    expect(created.status).toBe(201);
    const token = created.body.token as string;
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(Date.parse(created.body.expires_at)).toBe(nowMs + 600_000);
    expect(created.body.server).toBe(cp.config.server.public_url);
    expect(created.body.command).toBe(
      `wisehosting agent --server ${cp.config.server.public_url} --join-token ${token} --name <choose-a-name>`,
    );
    const row = await cp.t.db.kysely.selectFrom("join_tokens").selectAll().executeTakeFirstOrThrow();
    expect(row.token_hash).not.toBe(token);
    expect(row.created_by).toBe((await admin.get("/me")).body.user.id);

    const apiKey = generateApiKey();
    const fields = {
      name: "edge-1",
      api_key: apiKey,
      zone: "eu-west",
      wireguard_ip: "10.8.0.2",
      cpu_millicores: 4000,
      memory_mb: 8192,
      agent_version: "1.2.3",
    };
    expect((await register(token, fields)).status).toBe(200);
    expect((await register(token, { ...fields, name: "edge-2", api_key: generateApiKey() })).status).toBe(
      401,
    );

    const list = await admin.get("/admin/workers");
    expect(list.status).toBe(200);
    expect(list.body.workers).toEqual([
      expect.objectContaining({
        name: "edge-1",
        status: "offline",
        zone: "eu-west",
        wireguard_ip: "10.8.0.2",
        cpu_millicores: 4000,
        memory_mb: 8192,
        used_cpu_millicores: 0,
        used_memory_mb: 0,
        running_apps: 0,
        agent_version: "1.2.3",
        last_heartbeat: null,
      }),
    ]);
    const text = JSON.stringify(list.body);
    expect(text).not.toContain(apiKey);
    expect(text).not.toMatch(/api_key|envelope|[0-9a-f]{64}/);
  });

  it("reports fleet statistics", async () => {
    const users = (await admin.get("/admin/users")).body.users as { id: number }[];
    await makeApp(cp.t.db.kysely, users[0]!.id, { status: "running" });
    await makeApp(cp.t.db.kysely, users[0]!.id);
    await makeApp(cp.t.db.kysely, users[0]!.id, { status: "deleted" });
    const stats = await admin.get("/admin/stats");
    expect(stats.status).toBe(200);
    expect(stats.body).toEqual({
      workers: { total: 1, online: 0, offline: 1 },
      capacity: {
        cpu_millicores_total: 4000,
        cpu_millicores_used: 0,
        memory_mb_total: 8192,
        memory_mb_used: 0,
      },
      apps: { total: 2, by_status: { running: 1, created: 1 } },
      users: { total: users.length, admins: 1 },
    });
  });
});

describe("plans and users", () => {
  it("creates and changes plans, and a user's plan follows", async () => {
    const plans = (await admin.get("/admin/plans")).body.plans as { name: string; configured: boolean }[];
    expect(plans.map((p) => p.name)).toEqual(["free", "pro", "unlimited"]);
    expect(plans.every((p) => p.configured)).toBe(true);

    expect(
      (await admin.put("/admin/plans/Bad_Name", { max_apps: 1, max_cpu_millicores: 1, max_memory_mb: 1 }))
        .body.error.message,
    ).toMatch(/^name:/);
    const zero = await admin.put("/admin/plans/tiny", {
      max_apps: 0,
      max_cpu_millicores: 100,
      max_memory_mb: 64,
    });
    expect(zero.body.error.message).toMatch(/^max_apps:/);
    const tiny = await admin.put("/admin/plans/tiny", {
      max_apps: 1,
      max_cpu_millicores: 100,
      max_memory_mb: 64,
    });
    expect(tiny.status).toBe(200);
    expect(tiny.body.plan).toMatchObject({ name: "tiny", max_apps: 1, configured: false });

    const user = await invitedUser(admin, "tiny@example.com");
    const id = (await user.get("/me")).body.user.id as number;
    const unknown = await admin.patch(`/admin/users/${id}`, { plan: "nope" });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toBe("plan: no plan named nope");
    expect((await admin.patch("/admin/users/999999", { plan: "tiny" })).status).toBe(404);

    const changed = await admin.patch(`/admin/users/${id}`, { plan: "tiny" });
    expect(changed.body.user).toMatchObject({ id, plan: "tiny", is_admin: false });
    expect((await user.get("/me")).body.plan).toEqual({
      name: "tiny",
      max_apps: 1,
      max_cpu_millicores: 100,
      max_memory_mb: 64,
    });
    await admin.put("/admin/plans/tiny", { max_apps: 2, max_cpu_millicores: 200, max_memory_mb: 128 });
    expect((await user.get("/me")).body.plan).toMatchObject({ max_apps: 2, max_cpu_millicores: 200 });

    const listed = (await admin.get("/admin/plans")).body.plans.find(
      (p: { name: string }) => p.name === "tiny",
    );
    expect(listed.users).toBe(1);
    const users = (await admin.get("/admin/users")).body.users;
    expect(users.find((u: { id: number }) => u.id === id)).toEqual({
      id,
      email: "tiny@example.com",
      is_admin: false,
      plan: "tiny",
      totp_enabled: false,
      created_at: expect.any(String),
      apps: 0,
    });
    expect(JSON.stringify(users)).not.toMatch(/password|argon|totp_secret/);
  });

  it("promotes and demotes admins but never the last one", async () => {
    const adminId = (await admin.get("/me")).body.user.id as number;
    const last = await admin.patch(`/admin/users/${adminId}`, { is_admin: false });
    expect(last.status).toBe(409);
    const other = await invitedUser(admin, "second-admin@example.com");
    const otherId = (await other.get("/me")).body.user.id as number;
    expect((await other.get("/admin/users")).status).toBe(403);
    expect((await admin.patch(`/admin/users/${otherId}`, { is_admin: true })).body.user.is_admin).toBe(true);
    expect((await other.get("/admin/users")).status).toBe(200);
    expect((await admin.patch(`/admin/users/${adminId}`, { is_admin: false })).status).toBe(200);
    expect((await admin.get("/admin/users")).status).toBe(403);
    expect((await other.patch(`/admin/users/${otherId}`, { is_admin: false })).status).toBe(409);
    expect((await other.patch(`/admin/users/${adminId}`, { is_admin: true })).status).toBe(200);
    expect((await admin.get("/admin/users")).status).toBe(200);
  });
});

describe("invites", () => {
  it("creates, lists without tokens, withdraws and expires invites", async () => {
    expect((await admin.post("/admin/invites", { plan: "nope" })).body.error.message).toBe(
      "plan: no plan named nope",
    );
    expect((await admin.post("/admin/invites", { email: "not-an-email" })).body.error.message).toMatch(
      /^email:/,
    );
    expect((await admin.post("/admin/invites", { ttl_hours: 721 })).body.error.message).toMatch(
      /^ttl_hours:/,
    );

    const a = await admin.post("/admin/invites", { email: "a@example.com", plan: "pro" });
    expect(a.status).toBe(201);
    expect(Date.parse(a.body.expires_at)).toBe(nowMs + 72 * HOUR);
    const b = await admin.post("/admin/invites", { ttl_hours: 1 });
    const open = (await admin.get("/admin/invites")).body.invites as { id: number }[];
    expect(open.map((i) => i.id)).toEqual(expect.arrayContaining([a.body.id, b.body.id]));
    const text = JSON.stringify(open);
    expect(text).not.toContain(a.body.token);
    expect(text).not.toContain(b.body.token);

    expect((await admin.delete(`/admin/invites/${a.body.id}`)).status).toBe(204);
    expect((await admin.delete(`/admin/invites/${a.body.id}`)).status).toBe(404);
    const refused = await new ApiClient(cp.url).post("/auth/signup", {
      email: "a@example.com",
      password: PASSWORD,
      invite_token: a.body.token,
    });
    expect(refused.status).toBe(400);

    nowMs += HOUR + 1000;
    const later = (await admin.get("/admin/invites")).body.invites as { id: number }[];
    expect(later.map((i) => i.id)).not.toContain(b.body.id);
    const expired = await new ApiClient(cp.url).post("/auth/signup", {
      email: "late@example.com",
      password: PASSWORD,
      invite_token: b.body.token,
    });
    expect(expired.status).toBe(400);
  });
});
