import type { FastifyRequest } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeUser } from "../../test/helpers/db-fixtures.js";
import { createTestDatabase, type TestDatabase } from "../../test/helpers/test-db.js";
import { readCookie, SESSION_COOKIE, SESSION_IDLE_TTL_MS, SessionAuth } from "./session-auth.js";

describe("readCookie", () => {
  it.each<[string | undefined, string | undefined]>([
    [undefined, undefined],
    ["", undefined],
    ["wh_session=abc", "abc"],
    ["a=1; wh_session=abc; b=2", "abc"],
    ["  wh_session = abc  ", "abc"],
    ["xwh_session=evil; wh_sessionx=evil", undefined],
    ["wh_session", undefined],
    ["=abc; wh_session", undefined],
    ["wh_session=a=b", "a=b"],
    ["wh_session=; other=1", ""],
    ["wh_session=first; wh_session=second", "first"],
  ])("reads %j as %j", (header, value) => {
    expect(readCookie(header, SESSION_COOKIE)).toBe(value);
  });
});

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.dispose());

function req(headers: Record<string, string>): FastifyRequest {
  return { headers, ip: "192.0.2.7" } as unknown as FastifyRequest;
}

describe("SessionAuth.resolve", () => {
  let now = new Date("2030-01-01T00:00:00Z");
  const auth = () => new SessionAuth({ db: t.db.kysely, now: () => now, secureCookies: false });

  it("fails closed on malformed, unknown and mismatched credentials", async () => {
    const user = await makeUser(t.db.kysely);
    const web = await auth().createWebSession(user.id, req({ "user-agent": "test" }));
    const api = await auth().createApiToken(user.id, "ci", null);
    const a = auth();
    expect((await a.resolve(req({ cookie: `${SESSION_COOKIE}=${web.token}` })))?.user.id).toBe(user.id);
    expect((await a.resolve(req({ authorization: `Bearer ${api.token}` })))?.via).toBe("token");
    const bad: Record<string, string>[] = [
      {},
      { cookie: `${SESSION_COOKIE}=` },
      { cookie: `${SESSION_COOKIE}=not-hex` },
      { cookie: `${SESSION_COOKIE}=${web.token.toUpperCase()}` },
      { cookie: `${SESSION_COOKIE}=${web.token}0` },
      { cookie: `${SESSION_COOKIE}=${"0".repeat(64)}` },
      { cookie: `${SESSION_COOKIE}=${"x".repeat(100_000)}` },
      // An API token is not a cookie and a web session is not a bearer token.
      { cookie: `${SESSION_COOKIE}=${api.token}` },
      { authorization: `Bearer ${web.token}` },
      { authorization: "Bearer" },
      { authorization: "" },
      { authorization: `Basic ${api.token}` },
      { authorization: `Bearer ${api.token} extra` },
      // A bad bearer header is not retried with a good cookie.
      { authorization: "Bearer wh_nope", cookie: `${SESSION_COOKIE}=${web.token}` },
    ];
    for (const headers of bad) {
      expect(await a.resolve(req(headers)), JSON.stringify(headers).slice(0, 80)).toBeUndefined();
    }
  });

  it("ends a web session after the idle TTL and slides it with use; revoked ones are gone", async () => {
    const user = await makeUser(t.db.kysely);
    const web = await auth().createWebSession(user.id, req({}));
    const cookie = { cookie: `${SESSION_COOKIE}=${web.token}` };
    now = new Date(now.getTime() + SESSION_IDLE_TTL_MS - 1000);
    expect(await auth().resolve(req(cookie))).toBeDefined();
    now = new Date(now.getTime() + SESSION_IDLE_TTL_MS - 1000);
    expect(await auth().resolve(req(cookie))).toBeDefined();
    now = new Date(now.getTime() + SESSION_IDLE_TTL_MS);
    expect(await auth().resolve(req(cookie))).toBeUndefined();

    const other = await auth().createWebSession(user.id, req({}));
    expect(await auth().revoke(user.id, other.row.id)).toBe(true);
    expect(await auth().resolve(req({ cookie: `${SESSION_COOKIE}=${other.token}` }))).toBeUndefined();
  });
});
