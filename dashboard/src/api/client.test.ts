import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, api, onUnauthorized, seg } from "./client";

function answer(status: number, body: unknown, headers: Record<string, string> = {}) {
  return vi.fn(() =>
    Promise.resolve(
      new Response(body === undefined ? null : JSON.stringify(body), {
        status,
        headers: { "content-type": "application/json", ...headers },
      }),
    ),
  );
}

afterEach(() => vi.unstubAllGlobals());

describe("api client", () => {
  it("sends JSON with the cookie to /api/v1 and returns the body", async () => {
    const f = answer(201, { app: { slug: "a" } });
    vi.stubGlobal("fetch", f);
    expect(await api.post("/apps", { name: "a" })).toEqual({ app: { slug: "a" } });
    const [url, init] = f.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/api/v1/apps");
    expect(init.method).toBe("POST");
    expect(init.credentials).toBe("same-origin");
    expect(init.body).toBe('{"name":"a"}');
    expect((init.headers as Record<string, string>)["content-type"]).toBe("application/json");
  });

  it("turns an error body into an ApiError with code, message, field and Retry-After", async () => {
    vi.stubGlobal(
      "fetch",
      answer(400, { error: { code: "invalid_request", message: "name: too long", field: "name" } }),
    );
    const err = (await api.post("/apps", {}).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect([err.status, err.code, err.message, err.field]).toEqual([
      400,
      "invalid_request",
      "name: too long",
      "name",
    ]);
    vi.stubGlobal(
      "fetch",
      answer(429, { error: { code: "rate_limited", message: "slow down" } }, { "retry-after": "7" }),
    );
    expect(((await api.get("/me").catch((e: unknown) => e)) as ApiError).retryAfterS).toBe(7);
  });

  it("survives a body that is not JSON, and a network failure, with a message a person can read", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(() =>
        Promise.resolve(new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway" })),
      ),
    );
    const e1 = (await api.get("/apps").catch((e: unknown) => e)) as ApiError;
    expect([e1.status, e1.code, e1.message]).toEqual([502, "http_502", "502 Bad Gateway"]);
    vi.stubGlobal(
      "fetch",
      vi.fn(() => Promise.reject(new TypeError("Failed to fetch"))),
    );
    const e2 = (await api.get("/apps").catch((e: unknown) => e)) as ApiError;
    expect(e2.code).toBe("network");
    expect(e2.message).toMatch(/Cannot reach the server/);
  });

  it("tells the listeners about a 401 unless the call is quiet, and not about totp_required", async () => {
    const heard = vi.fn();
    const off = onUnauthorized(heard);
    vi.stubGlobal("fetch", answer(401, { error: { code: "unauthorized", message: "sign in" } }));
    await api.get("/apps").catch(() => undefined);
    await api.get("/me", { quiet401: true }).catch(() => undefined);
    vi.stubGlobal("fetch", answer(401, { error: { code: "totp_required", message: "code" } }));
    await api.post("/auth/login", {}).catch(() => undefined);
    expect(heard).toHaveBeenCalledTimes(1);
    off();
  });

  it("resolves 204 to undefined and encodes path segments", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(() => Promise.resolve(new Response(null, { status: 204 }))),
    );
    expect(await api.del("/tokens/1")).toBeUndefined();
    expect(seg("a/b?c#d")).toBe("a%2Fb%3Fc%23d");
  });
});
