import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { insertAlert } from "../../src/db/alerts.js";
import { upsertUsageSamples, type NewUsageSample } from "../../src/db/usage-samples.js";
import { BUCKET_MS, bucketStart } from "../../src/usage/accumulator.js";
import { signUp, type ApiClient } from "../helpers/api-client.js";
import {
  atWidth,
  browserSkipReason,
  expectNoSidewaysScroll,
  launchBrowser,
  SCREENSHOT_ROOT,
  seriousA11yViolations,
  type BrowserSession,
} from "../helpers/browser.js";
import {
  logInThroughForm,
  startDashboardFixture,
  type DashboardFixture,
} from "../helpers/dashboard-fixture.js";
import { twoDaysOfUsage, usageSample } from "../helpers/db-fixtures.js";

/**
 * The app's Logs, Usage, Domains and Alerts tabs and the Alerts page, driven
 * in Chromium against the real control plane and a simulated worker: a
 * runtime log line appears live (its escape sequences neutralised), usage
 * charts draw seeded buckets over each range, a domain is added, verified
 * against a fake DNS and removed, an alert rule survives a reload, and
 * alerts show across apps.
 */
const skipReason = browserSkipReason();
const SHOTS = path.join(SCREENSHOT_ROOT, "dashboard-obs");
const EMAIL = "obs@example.com";
const PASSWORD = "correct horse battery";

/** TXT records the fake resolver answers with, by name; other names do not exist. */
const txt = new Map<string, string[][]>();

describe.skipIf(skipReason)("dashboard: logs, usage, domains and alerts", () => {
  let fx: DashboardFixture;
  let browser: BrowserSession;
  let page: Page;
  let api: ApiClient;
  let appId: number;
  let userId: number;
  const slug = "obs-app";

  beforeAll(async () => {
    fx = await startDashboardFixture(
      {},
      {
        overrides: {
          resolveTxt: (name) => {
            const records = txt.get(name);
            if (records) return Promise.resolve(records);
            return Promise.reject(
              Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: "ENOTFOUND" }),
            );
          },
        },
      },
    );
    api = await signUp(fx.cp.url, EMAIL, PASSWORD);
    userId = (await api.get("/me")).body.user.id;
    const created = await api.post("/apps", { name: "Obs App", slug });
    expect(created.status).toBe(201);
    appId = created.body.app.id;
    expect(
      (await api.post(`/apps/${slug}/deployments`, { image: "docker.io/library/nginx:1.27" })).status,
    ).toBe(202);
    await vi.waitFor(async () => expect((await api.get(`/apps/${slug}`)).body.app.status).toBe("running"), {
      timeout: 20_000,
      interval: 100,
    });
    browser = await launchBrowser({ screenshotDir: SHOTS });
    page = browser.page;
    await logInThroughForm(page, fx.cp.url, EMAIL, PASSWORD);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await fx?.stop();
  });

  it("tails the runtime log live, neutralised, with pause, resume and a filter", async () => {
    await page.goto(`${fx.cp.url}/apps/${slug}/logs`);
    const log = page.getByRole("log", { name: "Runtime log" });
    await expect.poll(() => page.getByRole("status").filter({ hasText: "Live" }).count()).toBe(1);
    fx.sim.sendRuntimeLog([
      { app_id: appId, line: "hello \u001b[31mred\u001b[0m" },
      { app_id: appId, line: "boom: it broke", stream: "stderr" },
    ]);
    await log.getByText("boom: it broke").waitFor();
    const text = await log.innerText();
    expect(text).toContain("hello ");
    expect(text).toContain("red");
    expect(text).not.toContain("\u001b");
    expect(await log.locator(".log-stderr").count()).toBe(1);

    await page.getByRole("button", { name: "Pause" }).click();
    fx.sim.sendRuntimeLog([{ app_id: appId, line: "while paused" }]);
    await page.getByText("1 new line since paused").waitFor();
    expect(await log.getByText("while paused").count()).toBe(0);
    await page.getByRole("button", { name: "Resume" }).click();
    await log.getByText("while paused").waitFor();

    await page.getByLabel("Filter").fill("BOOM");
    await page.getByText("1 of 3 lines").waitFor();
    expect(await log.locator(".log-line").count()).toBe(1);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await browser.screenshot("app-logs");
    await page.getByLabel("Filter").fill("");

    await atWidth(page, 375, async () => {
      await log.getByText("while paused").waitFor();
      await expectNoSidewaysScroll(page);
    });
  });

  it("charts seeded usage over 24 h, 7 d and 90 d with a text summary", async () => {
    const now = Date.now();
    // Every bucket of the last 2 days, one an hour for 8 days before, and one 60 days ago.
    const rows: NewUsageSample[] = twoDaysOfUsage(appId, userId, now);
    const last = bucketStart(new Date(now)).getTime() - BUCKET_MS;
    for (let h = 48; h < 240; h++) rows.push(usageSample(appId, userId, last - h * 3_600_000, 25));
    rows.push(usageSample(appId, userId, last - 60 * 86_400_000, 95));
    await upsertUsageSamples(fx.cp.t.db.kysely, rows);

    await page.goto(`${fx.cp.url}/apps/${slug}/usage`);
    const cpu = page.getByRole("figure", { name: /CPU over the last 24 hours/ });
    await cpu.locator('canvas[role="img"]').waitFor();
    expect(await cpu.locator("canvas").getAttribute("aria-label")).toMatch(
      /^CPU over the last 24 hours: min 20 %/,
    );
    await page
      .getByRole("figure", { name: /Memory over the last 24 hours/ })
      .locator("canvas")
      .waitFor();
    await page
      .getByRole("figure", { name: /Network over the last 24 hours: .*Mbit\/s/ })
      .locator("canvas")
      .waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
    await browser.screenshot("app-usage");

    await page.getByRole("button", { name: "7 d" }).click();
    await page
      .getByRole("figure", { name: /CPU over the last 7 days: min 20 %, average .*, max 29 %/ })
      .waitFor();
    await page.getByRole("button", { name: "90 d" }).click();
    // Only the 90-day range reaches the bucket 60 days ago.
    await page
      .getByRole("figure", { name: /CPU over the last 90 days: min 20 %, average .*, max 95 %/ })
      .waitFor();
    expect(await page.getByRole("button", { name: "90 d" }).getAttribute("aria-pressed")).toBe("true");

    await atWidth(page, 375, async () => {
      await expect
        .poll(() =>
          page
            .locator(".usage-plot canvas")
            .first()
            .evaluate((c) => c.getBoundingClientRect().width),
        )
        .toBeLessThanOrEqual(375);
      await expectNoSidewaysScroll(page);
      await browser.screenshot("app-usage-375");
    });
  });

  it("adds a domain, shows its TXT record, verifies it against DNS and removes it", async () => {
    await page.goto(`${fx.cp.url}/apps/${slug}/domains`);
    await page.getByText("No custom domains yet").waitFor();
    const hostname = page.getByLabel("Hostname");
    await hostname.fill("not a hostname!");
    await page.getByRole("button", { name: "Add domain" }).click();
    // The API's message, beside the field it names.
    await page.locator(".field-error").waitFor();
    expect(await hostname.getAttribute("aria-invalid")).toBe("true");

    await hostname.fill("www.example.com");
    await page.getByRole("button", { name: "Add domain" }).click();
    await page.getByText("Added www.example.com").waitFor();
    const item = page.getByRole("listitem").filter({ hasText: "www.example.com" });
    await item.getByText("not verified").waitFor();
    const name = "_wisehosting-challenge.www.example.com";
    await item.getByText(name, { exact: true }).waitFor();
    const token = (await api.get(`/apps/${slug}/domains`)).body.domains[0].txt_record.value as string;
    await item.getByText(token, { exact: true }).waitFor();
    await item.getByRole("button", { name: "Copy value" }).waitFor();

    await item.getByRole("button", { name: "Verify" }).click();
    await item
      .getByRole("alert")
      .filter({ hasText: `no TXT record at ${name}` })
      .waitFor();
    txt.set(name, [["something-else"]]);
    await item.getByRole("button", { name: "Verify" }).click();
    await item.getByRole("alert").filter({ hasText: `found TXT "something-else"` }).waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
    await browser.screenshot("app-domains");
    txt.set(name, [[token]]);
    await item.getByRole("button", { name: "Verify" }).click();
    await item.getByText("www.example.com is verified.").waitFor();
    await item.locator(".badge-ok", { hasText: "verified" }).waitFor();

    await item.getByRole("button", { name: "Remove" }).click();
    await item.getByRole("button", { name: "Yes, remove www.example.com" }).click();
    await page.getByText("Removed www.example.com.").waitFor();
    await page.getByText("No custom domains yet").waitFor();
    expect((await api.get(`/apps/${slug}/domains`)).body.domains).toEqual([]);
  });

  it("edits an alert rule, keeps it across a reload, and lists the app's alerts", async () => {
    const db = fx.cp.t.db.kysely;
    const started = new Date(Date.now() - 3_600_000);
    await insertAlert(db, {
      user_id: userId,
      app_id: appId,
      kind: "cpu",
      source_type: "app_alert_rule",
      source_id: `${appId}:cpu`,
      title: "CPU above threshold on Obs App",
      message: "CPU at 97%, above 90% for 5 min.",
      value: 97,
      threshold: 90,
      sustain_minutes: 5,
    });
    await insertAlert(db, {
      user_id: userId,
      app_id: appId,
      kind: "offline",
      severity: "critical",
      source_type: "app_alert_rule",
      source_id: `${appId}:offline`,
      status: "resolved",
      title: "Obs App is offline",
      message: "No stats received from the app for 3 min.",
      created_at: started,
      resolved_at: new Date(started.getTime() + 600_000),
    });

    await page.goto(`${fx.cp.url}/apps/${slug}/alerts`);
    const memory = page.getByRole("group", { name: "Memory" });
    await memory.getByLabel("Enabled").check();
    await memory.getByLabel("Threshold (% of limit)").fill("150");
    await page.getByRole("button", { name: "Save rules" }).click();
    // The API's bound, beside the threshold it names.
    await memory.getByText("a percentage for kind memory: at most 100").waitFor();
    await memory.getByLabel("Threshold (% of limit)").fill("80");
    await memory.getByLabel("Sustain (minutes)").fill("10");
    await page.getByRole("button", { name: "Save rules" }).click();
    await page.getByText("Alert rules saved.").waitFor();

    await page.reload();
    const again = page.getByRole("group", { name: "Memory" });
    await expect.poll(() => again.getByLabel("Threshold (% of limit)").inputValue()).toBe("80");
    expect(await again.getByLabel("Sustain (minutes)").inputValue()).toBe("10");
    expect(await again.getByLabel("Enabled").isChecked()).toBe(true);
    expect(await page.getByRole("group", { name: "CPU" }).getByLabel("Enabled").isChecked()).toBe(false);
    const rules = (await api.get(`/apps/${slug}/alert-rules`)).body.rules;
    expect(rules.find((r: { kind: string }) => r.kind === "memory")).toEqual({
      kind: "memory",
      threshold: 80,
      sustain_minutes: 10,
      enabled: true,
    });

    await page.getByRole("cell", { name: /CPU at 97%/ }).waitFor();
    await page.getByRole("cell", { name: /Obs App is offline/ }).waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
    await browser.screenshot("app-alerts");
  });

  it("shows active and resolved alerts across apps on the Alerts page, linking to the app", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Alerts" }).click();
    await page.getByRole("heading", { name: "Active (1)" }).waitFor();
    await page.getByRole("heading", { name: "Resolved (1)" }).waitFor();
    const active = page.getByRole("table", { name: "Active alerts" });
    await active.getByRole("cell", { name: /CPU above threshold on Obs App/ }).waitFor();
    const resolved = page.getByRole("table", { name: "Resolved alerts" });
    await resolved.getByText("critical").waitFor();
    // Times in the browser's zone (Europe/Berlin in launchBrowser).
    const when = await resolved.locator("time").first().getAttribute("title");
    expect(when).toMatch(/\d{2}\/\d{2}\/\d{4}/);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await browser.screenshot("alerts-page");

    await active.getByRole("link", { name: slug }).click();
    await page.getByRole("heading", { name: "Alert rules" }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/apps/${slug}/alerts`);
  });
});
