import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LoginLimiter } from "../../src/web/login-limiter.js";
import { ApiClient, signUp } from "../helpers/api-client.js";
import { startTestControlPlane, type TestControlPlane } from "../helpers/control-plane.js";

const PASSWORD = "correct horse battery";
const DAY = 24 * 3600 * 1000;

/** A POST with exactly these headers (no Origin added), for the same-origin checks. */
async function rawPost(url: string, path: string, headers: Record<string, string>) {
  const res = await fetch(`${url}/api/v1${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ name: "t" }),
  });
  return res.status;
}

async function login(url: string, email: string, password = PASSWORD) {
  const c = new ApiClient(url);
  const r = await c.post("/auth/login", { email, password });
  return { c, r };
}

describe("sign-up by invitation (open_signup off)", () => {
  let cp: TestControlPlane;
  let admin: ApiClient;
  let modeBefore: unknown;
  beforeAll(async () => {
    cp = await startTestControlPlane();
    modeBefore = (await new ApiClient(cp.url).get("/auth/signup-mode")).body;
    admin = await signUp(cp.url, "admin@example.com");
  });
  afterAll(() => cp.stop());

  it("tells the sign-up page whether the next account is the first one or needs an invite", async () => {
    expect(modeBefore).toEqual({ mode: "first" });
    expect((await new ApiClient(cp.url).get("/auth/signup-mode")).body).toEqual({ mode: "invite" });
  });

  it("makes the first account admin and refuses a second one without an invite", async () => {
    expect((await admin.get("/me")).body.user.is_admin).toBe(true);
    const r = await new ApiClient(cp.url).post("/auth/signup", {
      email: "late@example.com",
      password: PASSWORD,
    });
    expect(r.status).toBe(403);
    expect(r.headers.get("set-cookie")).toBeNull();
  });

  it("accepts an invite once, for its bound email only, with its plan", async () => {
    const bound = await admin.post("/admin/invites", { email: "Bound@Example.com", plan: "pro" });
    expect(bound.status).toBe(201);
    expect(bound.body.email).toBe("bound@example.com");
    const token = bound.body.token as string;
    const anon = new ApiClient(cp.url);
    const wrong = await anon.post("/auth/signup", {
      email: "other@example.com",
      password: PASSWORD,
      invite_token: token,
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toMatch(/^invite_token:/);
    const ok = await anon.post("/auth/signup", {
      email: "bound@example.com",
      password: PASSWORD,
      invite_token: token,
    });
    expect(ok.status).toBe(201);
    expect(ok.body.user).toMatchObject({ email: "bound@example.com", is_admin: false, plan: "pro" });
    const again = await new ApiClient(cp.url).post("/auth/signup", {
      email: "bound2@example.com",
      password: PASSWORD,
      invite_token: token,
    });
    expect(again.status).toBe(400);
    // The refused sign-ups left no accounts behind.
    const emails = (await admin.get("/admin/users")).body.users.map((u: { email: string }) => u.email);
    expect(emails).toEqual(["admin@example.com", "bound@example.com"]);
  });

  it("refuses an unknown invite token", async () => {
    const r = await new ApiClient(cp.url).post("/auth/signup", {
      email: "x@example.com",
      password: PASSWORD,
      invite_token: "a".repeat(64),
    });
    expect(r.status).toBe(400);
  });
});

describe("accounts with open sign-up and an injected clock", () => {
  let cp: TestControlPlane;
  let nowMs = Date.parse("2030-01-01T00:00:00Z");
  beforeAll(async () => {
    cp = await startTestControlPlane(
      { now: () => new Date(nowMs), loginLimiter: new LoginLimiter({ accountBurst: 100, ipBurst: 1000 }) },
      { WISEHOSTING_AUTH_OPEN_SIGNUP: "true" },
    );
    await signUp(cp.url, "first@example.com");
  });
  afterAll(() => cp.stop());

  it("says sign-up is open once the first account exists", async () => {
    expect((await new ApiClient(cp.url).get("/auth/signup-mode")).body).toEqual({ mode: "open" });
  });

  it("signs up anyone, refuses a taken email (any case) and a short password", async () => {
    const c = await signUp(cp.url, "second@example.com");
    expect((await c.get("/me")).body.user.is_admin).toBe(false);
    const dup = await new ApiClient(cp.url).post("/auth/signup", {
      email: " Second@Example.COM",
      password: PASSWORD,
    });
    expect(dup.status).toBe(409);
    const short = await new ApiClient(cp.url).post("/auth/signup", {
      email: "s@example.com",
      password: "123456789",
    });
    expect(short.status).toBe(400);
    expect(short.body.error.message).toMatch(/^password:/);
  });

  it("sets an HttpOnly, SameSite=Lax, Path=/ cookie without Secure on plain http", async () => {
    const { r } = await login(cp.url, "first@example.com");
    expect(r.status).toBe(200);
    const cookie = r.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^wh_session=[0-9a-f]{64};/);
    const attrs = cookie.split(";").map((s) => s.trim().toLowerCase());
    expect(attrs).toContain("httponly");
    expect(attrs).toContain("samesite=lax");
    expect(attrs).toContain("path=/");
    expect(attrs.some((a) => a.startsWith("secure"))).toBe(false);
  });

  it("answers a wrong password and an unknown email the same way", async () => {
    const wrong = (await login(cp.url, "first@example.com", "wrong password!")).r;
    const unknown = (await login(cp.url, "nobody@example.com")).r;
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
    expect(wrong.headers.get("set-cookie")).toBeNull();
  });

  it("revokes the session at log-out: the old cookie no longer works", async () => {
    const { c } = await login(cp.url, "first@example.com");
    const stolen = c.clone();
    expect((await stolen.get("/me")).status).toBe(200);
    expect((await c.post("/auth/logout")).status).toBe(204);
    expect(c.cookie).toBeUndefined();
    expect((await stolen.get("/me")).status).toBe(401);
  });

  it("slides a session's expiry with use and ends it after 14 idle days", async () => {
    const { c } = await login(cp.url, "first@example.com");
    for (let day = 1; day <= 20; day++) {
      nowMs += DAY;
      expect((await c.get("/me")).status, `day ${day}`).toBe(200);
    }
    nowMs += 15 * DAY;
    expect((await c.get("/me")).status).toBe(401);
  });

  it("refuses cookie-authenticated state changes that cannot prove their origin", async () => {
    const { c } = await login(cp.url, "first@example.com");
    const cookie = c.cookie ?? "";
    expect(await rawPost(cp.url, "/tokens", { cookie, origin: "https://evil.example" })).toBe(403);
    expect(await rawPost(cp.url, "/tokens", { cookie, origin: "null" })).toBe(403);
    expect(await rawPost(cp.url, "/tokens", { cookie })).toBe(403);
    expect(await rawPost(cp.url, "/tokens", { cookie, "sec-fetch-site": "cross-site" })).toBe(403);
    expect(await rawPost(cp.url, "/tokens", { cookie, "sec-fetch-site": "same-origin" })).toBe(201);
    expect(await rawPost(cp.url, "/tokens", { cookie, origin: cp.url })).toBe(201);
    const token = (await c.post("/tokens", { name: "cli" })).body.token as string;
    // A bearer token is no ambient credential: no Origin needed (a foreign one is still refused).
    expect(await rawPost(cp.url, "/tokens", { authorization: `Bearer ${token}` })).toBe(201);
    expect(
      await rawPost(cp.url, "/tokens", { authorization: `Bearer ${token}`, origin: "https://evil.example" }),
    ).toBe(403);
  });
});

describe("log-in rate limits", () => {
  let cp: TestControlPlane;
  beforeAll(async () => {
    const limiter = new LoginLimiter({ accountBurst: 3, accountRefillS: 600, ipBurst: 8, ipRefillS: 900 });
    cp = await startTestControlPlane({ loginLimiter: limiter }, { WISEHOSTING_AUTH_OPEN_SIGNUP: "true" });
    await signUp(cp.url, "victim@example.com");
    await signUp(cp.url, "bystander@example.com");
  });
  afterAll(() => cp.stop());

  it("locks an account after its failures, even for the right password", async () => {
    for (let i = 0; i < 3; i++)
      expect((await login(cp.url, "victim@example.com", "wrong password!")).r.status).toBe(401);
    const locked = (await login(cp.url, "Victim@example.com")).r;
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe("rate_limited");
    expect(locked.headers.get("retry-after")).toBe("600");
    expect(locked.headers.get("set-cookie")).toBeNull();
    // Another account from the same address still signs in (the address has budget left).
    expect((await login(cp.url, "bystander@example.com")).r.status).toBe(200);
  });

  it("limits one address across many accounts", async () => {
    // 3 failures so far from this address; 5 more on different (unknown) accounts exhaust its 8.
    for (let i = 0; i < 5; i++) expect((await login(cp.url, `guess${i}@example.com`)).r.status).toBe(401);
    const r = (await login(cp.url, "bystander@example.com")).r;
    expect(r.status).toBe(429);
    expect(r.headers.get("retry-after")).toBe("900");
  });
});
