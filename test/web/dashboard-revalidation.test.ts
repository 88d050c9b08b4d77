import http from "node:http";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DASHBOARD_CSP } from "../../src/web/security-headers.js";
import { startTestControlPlane, type TestControlPlane } from "../helpers/control-plane.js";

/** A GET through node:http (fetch adds `cache-control: no-cache` to conditional requests, which defeats them). */
function get(url: string, headers: Record<string, string> = {}): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        res.resume();
        res.on("end", () => resolve(res));
      })
      .on("error", reject);
  });
}

/**
 * A reload revalidates index.html (no-cache) and gets a 304, whose headers
 * the browser merges into the cached page: that 304 must carry the
 * dashboard's CSP, or the reloaded page may load no script at all.
 */
describe("revalidating the dashboard's page", () => {
  let cp: TestControlPlane;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "wh-dash-"));
    await mkdir(path.join(dir, "assets"));
    await writeFile(path.join(dir, "index.html"), "<!doctype html><title>x</title>");
    cp = await startTestControlPlane({ dashboardDir: dir });
  });
  afterAll(async () => {
    await cp.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("answers 304 with the dashboard's CSP, for / and for a deep link", async () => {
    for (const p of ["/", "/account"]) {
      const first = await get(`${cp.url}${p}`);
      const etag = first.headers.etag;
      expect(etag, p).toBeTruthy();
      const again = await get(`${cp.url}${p}`, { "if-none-match": etag! });
      expect(again.statusCode, p).toBe(304);
      expect(again.headers["content-security-policy"], p).toBe(DASHBOARD_CSP);
    }
  });
});
