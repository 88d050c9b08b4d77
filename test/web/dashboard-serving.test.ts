import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_CSP, DASHBOARD_CSP } from "../../src/web/security-headers.js";
import { startTestControlPlane, type TestControlPlane } from "../helpers/control-plane.js";

const INDEX =
  '<!doctype html><html><head><script type="module" src="/assets/app-1a2b.js"></script></head></html>';

function expectHardened(res: Response, csp: string) {
  expect(res.headers.get("content-security-policy")).toBe(csp);
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  expect(res.headers.get("x-frame-options")).toBe("DENY");
  expect(res.headers.get("cross-origin-opener-policy")).toBe("same-origin");
}

describe("serving the built dashboard", () => {
  let cp: TestControlPlane;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "wh-dash-"));
    await mkdir(path.join(dir, "assets"));
    await writeFile(path.join(dir, "index.html"), INDEX);
    await writeFile(path.join(dir, "assets", "app-1a2b.js"), "console.log(1)");
    await writeFile(path.join(dir, "favicon.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>");
    cp = await startTestControlPlane({ dashboardDir: dir });
  });
  afterAll(async () => {
    await cp.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("serves index.html at / with the strict CSP, no framing and no caching", async () => {
    const res = await fetch(`${cp.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await res.text()).toBe(INDEX);
    expectHardened(res, DASHBOARD_CSP);
    expect(DASHBOARD_CSP).toContain("frame-ancestors 'none'");
    expect(DASHBOARD_CSP).toContain("script-src 'self'");
    expect(DASHBOARD_CSP).not.toContain("unsafe-inline");
    expect(res.headers.get("cache-control")).toBe("no-cache");
  });

  it("answers deep links with index.html (the SPA routes them)", async () => {
    for (const p of ["/apps", "/apps/my-app/logs", "/account?tab=2fa"]) {
      const res = await fetch(`${cp.url}${p}`);
      expect(res.status, p).toBe(200);
      expect(await res.text()).toBe(INDEX);
      expectHardened(res, DASHBOARD_CSP);
    }
  });

  it("revalidates index.html with a 304 that keeps the cached page's CSP (a reload is not blank)", async () => {
    for (const p of ["/", "/apps/my-app/alerts"]) {
      const first = await fetch(`${cp.url}${p}`);
      const etag = first.headers.get("etag") ?? "";
      expect(etag, p).not.toBe("");
      // A browser's reload; without an explicit Cache-Control, fetch would add no-cache.
      const again = await fetch(`${cp.url}${p}`, {
        headers: { "if-none-match": etag, "cache-control": "max-age=0" },
      });
      expect(again.status, p).toBe(304);
      // Its headers replace the cached page's: no CSP here keeps the page's own (RFC 9111 4.3.4).
      expect(again.headers.get("content-security-policy"), p).toBeNull();
      expect(again.headers.get("x-frame-options"), p).toBe("DENY");
    }
  });

  it("serves hashed assets as immutable, with the deny-all CSP", async () => {
    const res = await fetch(`${cp.url}/assets/app-1a2b.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/javascript/);
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expectHardened(res, API_CSP);
    const icon = await fetch(`${cp.url}/favicon.svg`);
    expect(icon.headers.get("cache-control")).toBe("no-cache");
  });

  it("never falls back to the dashboard under the API prefixes or for a missing asset: JSON 404 instead", async () => {
    for (const p of [
      "/api/v1/no-such-route",
      "/api/other",
      "/api",
      "/v1",
      "/v1/workers/nope",
      "/assets/gone-1a2b.js",
    ]) {
      const res = await fetch(`${cp.url}${p}`);
      expect(res.status, p).toBe(404);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_found");
    }
  });

  it("puts the hardening headers on API responses too", async () => {
    const res = await fetch(`${cp.url}/api/v1/auth/signup-mode`);
    expect(res.status).toBe(200);
    expectHardened(res, API_CSP);
    const err = await fetch(`${cp.url}/api/v1/me`);
    expect(err.status).toBe(401);
    expectHardened(err, API_CSP);
  });

  it("does not serve files outside the build folder", async () => {
    for (const p of [
      "/..%2f..%2fpackage.json",
      "/assets/..%2f..%2findex.html%00",
      "/%2e%2e/%2e%2e/etc/passwd",
    ]) {
      const res = await fetch(`${cp.url}${p}`);
      const body = await res.text();
      expect(body, p).not.toContain('"name"');
      expect(body, p).not.toContain("root:");
    }
  });

  it("answers only GET and HEAD", async () => {
    const res = await fetch(`${cp.url}/apps`, { method: "POST" });
    expect(res.status).toBe(404);
    const head = await fetch(`${cp.url}/`, { method: "HEAD" });
    expect(head.status).toBe(200);
  });
});

describe("a control plane whose dashboard was not built", () => {
  let cp: TestControlPlane;
  beforeAll(async () => {
    cp = await startTestControlPlane({ dashboardDir: path.join(tmpdir(), "wh-no-such-dashboard") });
  });
  afterAll(() => cp.stop());

  it("says how to build it instead of showing a blank page, and the API still works", async () => {
    const res = await fetch(`${cp.url}/apps`);
    expect(res.status).toBe(503);
    expect(await res.text()).toMatch(/npm run build/);
    expect((await fetch(`${cp.url}/api/v1/auth/signup-mode`)).status).toBe(200);
  });
});
