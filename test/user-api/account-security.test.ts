import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LoginLimiter } from "../../src/web/login-limiter.js";
import { totpCode } from "../../src/web/totp.js";
import { ApiClient, signUp } from "../helpers/api-client.js";
import { startTestControlPlane, type TestControlPlane } from "../helpers/control-plane.js";

const PASSWORD = "correct horse battery";
const STEP = 30_000;

let cp: TestControlPlane;
let nowMs = Date.parse("2030-03-01T00:00:10Z");
beforeAll(async () => {
  cp = await startTestControlPlane(
    { now: () => new Date(nowMs), loginLimiter: new LoginLimiter({ accountBurst: 100, ipBurst: 1000 }) },
    { WISEHOSTING_AUTH_OPEN_SIGNUP: "true" },
  );
  await signUp(cp.url, "root@example.com");
});
afterAll(() => cp.stop());

async function login(email: string, extra: Record<string, string> = {}, password = PASSWORD) {
  const c = new ApiClient(cp.url);
  const r = await c.post("/auth/login", { email, password, ...extra });
  return { c, r };
}

describe("two-factor authentication", () => {
  it("sets up, enables, requires and consumes codes, and disables", async () => {
    const me = await signUp(cp.url, "totp@example.com");
    const other = (await login("totp@example.com")).c;
    const setup = await me.post("/me/totp/setup");
    expect(setup.status).toBe(200);
    const secret = setup.body.secret as string;
    expect(setup.body.otpauth_url).toContain(`secret=${secret}`);

    const before = me.clone();
    const enable = await me.post("/me/totp/enable", { code: totpCode(secret, nowMs) });
    expect(enable.status).toBe(200);
    expect(enable.body.user.totp_enabled).toBe(true);
    // The caller got a new session id; the old one and every other session are revoked.
    expect(me.cookie).not.toBe(before.cookie);
    expect((await before.get("/me")).status).toBe(401);
    expect((await other.get("/me")).status).toBe(401);
    expect((await me.get("/me")).status).toBe(200);

    const noCode = (await login("totp@example.com")).r;
    expect(noCode.status).toBe(401);
    expect(noCode.body.error.code).toBe("totp_required");
    // The enable consumed this step's code.
    expect((await login("totp@example.com", { totp_code: totpCode(secret, nowMs) })).r.status).toBe(401);

    nowMs += STEP;
    const code = totpCode(secret, nowMs);
    const ok = await login("totp@example.com", { totp_code: code });
    expect(ok.r.status).toBe(200);
    expect((await login("totp@example.com", { totp_code: code })).r.status).toBe(401);
    expect((await login("totp@example.com", { totp_code: "000000" })).r.status).toBe(401);
    const wrongPassword = (await login("totp@example.com", { totp_code: code }, "not the password")).r;
    expect(wrongPassword.status).toBe(401);
    expect(wrongPassword.body.error.code).toBe("unauthorized");

    nowMs += STEP;
    const second = await login("totp@example.com", { totp_code: totpCode(secret, nowMs) });
    expect(second.r.status).toBe(200);

    nowMs += STEP;
    const stale = await second.c.post("/me/totp/disable", { code: totpCode(secret, nowMs - 2 * STEP) });
    expect(stale.status).toBe(400);
    const beforeDisable = second.c.clone();
    const disable = await second.c.post("/me/totp/disable", { code: totpCode(secret, nowMs) });
    expect(disable.status).toBe(200);
    expect(disable.body.user.totp_enabled).toBe(false);
    expect((await beforeDisable.get("/me")).status).toBe(401);
    expect((await ok.c.get("/me")).status).toBe(401);
    expect((await me.get("/me")).status).toBe(401);
    expect((await second.c.get("/me")).status).toBe(200);
    expect((await login("totp@example.com")).r.status).toBe(200);
  });

  it("drops a set-up not confirmed within 10 minutes", async () => {
    const me = await signUp(cp.url, "slow@example.com");
    const secret = (await me.post("/me/totp/setup")).body.secret as string;
    nowMs += 10 * 60_000 + 1000;
    const r = await me.post("/me/totp/enable", { code: totpCode(secret, nowMs) });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe("totp_setup_expired");
    expect((await me.get("/me")).body.user.totp_enabled).toBe(false);
  });
});

describe("password change", () => {
  it("revokes the other sessions and every API token, and rotates the caller's", async () => {
    const me = await signUp(cp.url, "pw@example.com");
    const other = (await login("pw@example.com")).c;
    const token = (await me.post("/tokens", { name: "cli" })).body.token as string;
    const bearer = new ApiClient(cp.url, { token });
    expect((await bearer.get("/me")).status).toBe(200);

    const wrong = await me.post("/me/password", {
      current_password: "not it at all",
      new_password: "a new password",
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toMatch(/^current_password:/);

    const old = me.clone();
    const r = await me.post("/me/password", { current_password: PASSWORD, new_password: "a new password" });
    expect(r.status).toBe(204);
    expect((await me.get("/me")).status).toBe(200);
    for (const c of [old, other, bearer]) expect((await c.get("/me")).status).toBe(401);
    expect((await login("pw@example.com")).r.status).toBe(401);
    expect((await login("pw@example.com", {}, "a new password")).r.status).toBe(200);
  });
});

describe("API tokens", () => {
  it("shows a token once, authenticates with it, and revokes it", async () => {
    const me = await signUp(cp.url, "tok@example.com");
    const created = await me.post("/tokens", { name: "laptop", expires_in_days: 30 });
    expect(created.status).toBe(201);
    const token = created.body.token as string;
    expect(token).toMatch(/^wh_[0-9a-f]{64}$/);
    const list = await me.get("/tokens");
    expect(list.body.tokens.map((t: { name: string }) => t.name)).toEqual(["laptop"]);
    expect(JSON.stringify(list.body)).not.toContain(token.slice(3));

    const bearer = new ApiClient(cp.url, { token });
    expect((await bearer.get("/me")).body.user.email).toBe("tok@example.com");

    const stranger = await signUp(cp.url, "stranger@example.com");
    expect((await stranger.delete(`/tokens/${created.body.id}`)).status).toBe(404);
    expect((await bearer.get("/me")).status).toBe(200);
    expect((await me.delete(`/tokens/${created.body.id}`)).status).toBe(204);
    expect((await bearer.get("/me")).status).toBe(401);
    expect((await me.delete(`/tokens/${created.body.id}`)).status).toBe(404);
  });
});

describe("web sessions", () => {
  it("lists the account's sessions and revokes one of them", async () => {
    const me = await signUp(cp.url, "sess@example.com");
    const laptop = new ApiClient(cp.url);
    await laptop.request(
      "POST",
      "/auth/login",
      { email: "sess@example.com", password: PASSWORD },
      { "user-agent": "laptop/1" },
    );
    const token = (await me.post("/tokens", { name: "cli" })).body;

    const list = await me.get("/me/sessions");
    expect(list.status).toBe(200);
    const sessions = list.body.sessions as { id: number; current: boolean; user_agent: string | null }[];
    expect(sessions).toHaveLength(2);
    expect(sessions.filter((s) => s.current)).toHaveLength(1);
    const laptopSession = sessions.find((s) => s.user_agent === "laptop/1");
    expect(laptopSession?.current).toBe(false);
    expect(JSON.stringify(list.body)).not.toMatch(/[0-9a-f]{64}/);

    const stranger = await signUp(cp.url, "sess-stranger@example.com");
    expect((await stranger.delete(`/me/sessions/${laptopSession?.id}`)).status).toBe(404);
    expect((await me.delete(`/me/sessions/${token.id}`)).status).toBe(404);
    expect((await laptop.get("/me")).status).toBe(200);

    expect((await me.delete(`/me/sessions/${laptopSession?.id}`)).status).toBe(204);
    expect((await laptop.get("/me")).status).toBe(401);
    expect((await me.delete(`/me/sessions/${laptopSession?.id}`)).status).toBe(404);
    expect((await me.get("/me/sessions")).body.sessions).toHaveLength(1);

    // Revoking the current session signs the caller out.
    const current = sessions.find((s) => s.current);
    expect((await me.delete(`/me/sessions/${current?.id}`)).status).toBe(204);
    expect((await me.get("/me")).status).toBe(401);
  });
});
