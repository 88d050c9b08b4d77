import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { installErrorHandler } from "../api/http-errors.js";
import { defineRoute, type UserRoute } from "./route.js";
import type { SessionAuth } from "./session-auth.js";
import { assertRouteTable, registerUserApi } from "./user-api.js";

const ok = (url: string, access: unknown): UserRoute =>
  ({
    method: "GET",
    url,
    access,
    summary: "s",
    tags: ["t"],
    schema: {},
    handler: () => Promise.resolve({ ok: true }),
  }) as unknown as UserRoute;

const noSessions = { resolve: () => Promise.resolve(undefined) } as unknown as SessionAuth;

describe("route table", () => {
  it("refuses a route without an access declaration, or with an unknown one", () => {
    expect(() => assertRouteTable([ok("/a", undefined)])).toThrow(/GET \/a declares no access/);
    expect(() => assertRouteTable([ok("/a", "public")])).toThrow(/declares no access/);
    expect(() => assertRouteTable([ok("/a", "user"), ok("/a", "admin")])).toThrow(/declared twice/);
    expect(() =>
      assertRouteTable([ok("/a", "anonymous"), ok("/b", "user"), ok("/c", "admin")]),
    ).not.toThrow();
  });

  it("makes start-up fail when a route has no declaration", async () => {
    const app = Fastify();
    expect(() =>
      registerUserApi(app, [ok("/fine", "user"), ok("/forgotten", undefined)], {
        sessions: noSessions,
        trustedOrigins: [],
        version: "0",
      }),
    ).toThrow(/\/forgotten declares no access/);
    await app.close();
  });

  it("fails closed: user and admin routes answer 401 without credentials, anonymous ones answer", async () => {
    const app = Fastify();
    installErrorHandler(app);
    const routes = [
      defineRoute({ ...ok("/open", "anonymous"), access: "anonymous" }),
      defineRoute({ ...ok("/mine", "user"), access: "user" }),
      defineRoute({ ...ok("/fleet", "admin"), access: "admin" }),
    ];
    registerUserApi(app, routes, { sessions: noSessions, trustedOrigins: [], version: "0" });
    await app.ready();
    expect((await app.inject({ url: "/api/v1/open" })).statusCode).toBe(200);
    expect((await app.inject({ url: "/api/v1/mine" })).statusCode).toBe(401);
    expect((await app.inject({ url: "/api/v1/fleet" })).statusCode).toBe(401);
    await app.close();
  });
});
