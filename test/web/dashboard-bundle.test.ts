import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FIRST_SCREEN_JS_BUDGET, firstScreenBundle, scriptGzipBytes } from "../../bench/dashboard-bundle.js";
import { DEFAULT_DASHBOARD_DIR } from "../../src/web/dashboard.js";

const dir = DEFAULT_DASHBOARD_DIR!;

describe("the built dashboard (dist/dashboard, built by the test setup)", () => {
  it("exists where the server looks for it", () => {
    expect(existsSync(path.join(dir, "index.html"))).toBe(true);
  });

  it("keeps the first screen's JavaScript within 200 KB gzipped", async () => {
    const files = await firstScreenBundle(dir);
    expect(files.filter((f) => f.kind === "script").length).toBeGreaterThan(0);
    expect(files.filter((f) => f.kind === "style").length).toBeGreaterThan(0);
    expect(scriptGzipBytes(files)).toBeLessThanOrEqual(FIRST_SCREEN_JS_BUDGET);
  });

  it("has no inline script or style, and loads nothing from another origin", async () => {
    const html = await readFile(path.join(dir, "index.html"), "utf8");
    for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
      expect(m[1]).toMatch(/\bsrc="\/assets\//);
      expect(m[2]!.trim()).toBe("");
    }
    expect(html).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    for (const f of await readdir(path.join(dir, "assets"))) {
      if (!f.endsWith(".js") && !f.endsWith(".css")) continue;
      const text = await readFile(path.join(dir, "assets", f), "utf8");
      // No fonts, images or scripts fetched from outside (the CSP would block them anyway).
      expect(text, f).not.toMatch(/url\(\s*["']?https?:/);
      expect(text, f).not.toMatch(/sourceMappingURL=/);
    }
  });
});
