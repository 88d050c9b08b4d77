import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { upsertUsageSamples } from "../../src/db/usage-samples.js";
import { totpCode } from "../../src/web/totp.js";
import {
  browserSkipReason,
  launchBrowser,
  SCREENSHOT_ROOT,
  seriousA11yViolations,
  type BrowserSession,
} from "../helpers/browser.js";
import { startDashboardFixture, type DashboardFixture } from "../helpers/dashboard-fixture.js";
import { twoDaysOfUsage } from "../helpers/db-fixtures.js";
import { Receiver } from "../helpers/webhook-receiver.js";

/**
 * Issue 9's end-to-end walk, in Debian's Chromium against the real control
 * plane and a simulated worker, as one new user would do it: sign up (the
 * first account), turn on 2FA and log in again with a code, create an app
 * and deploy an image, watch it reach running, see a runtime log line arrive
 * live, open the usage chart, add an alert rule, add a webhook and send a
 * test, log out. Every main screen is checked with axe and saved as a
 * screenshot; the page must never trip its Content-Security-Policy.
 */

const skipReason = browserSkipReason();
const SHOTS = path.join(SCREENSHOT_ROOT, "dashboard-flow");
const EMAIL = "flow@example.com";
const PASSWORD = "correct horse battery staple";
const SLUG = "flow-app";
/** The screens poll every 5–15 s; a change on the server must show within a few polls. */
const SEEN_MS = 30_000;

describe.skipIf(skipReason !== undefined)("the dashboard, end to end in a browser", () => {
  let fx: DashboardFixture;
  let receiver: Receiver;
  let browser: BrowserSession;
  let page: Page;
  /** What the page said that it should not: CSP violations, uncaught errors. */
  const problems: string[] = [];

  beforeAll(async () => {
    fx = await startDashboardFixture({ WISEHOSTING_WEBHOOKS_ALLOW_PRIVATE_TARGETS: "true" });
    receiver = await Receiver.start();
    browser = await launchBrowser({ screenshotDir: SHOTS });
    page = browser.page;
    page.on("console", (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await receiver?.close();
    await fx?.stop();
  });

  /** axe finds nothing serious or critical; the screen is saved as `<name>.png`. */
  async function checkScreen(name: string): Promise<void> {
    expect(await seriousA11yViolations(page), name).toEqual([]);
    await browser.screenshot(name);
  }

  it("walks from sign-up to log-out", async () => {
    // Sign up: the first account of the installation, told it becomes the administrator.
    await page.goto(`${fx.cp.url}/`);
    await page.getByRole("heading", { name: "Log in" }).waitFor();
    await checkScreen("01-login");
    await page.getByRole("link", { name: "Sign up" }).click();
    await page.getByText(/first account of this installation/).waitFor();
    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel("Password").fill(PASSWORD);
    await checkScreen("02-signup");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("navigation", { name: "Main" }).waitFor();
    await page.getByRole("heading", { name: "Apps", level: 1 }).waitFor();
    await checkScreen("03-apps-empty");

    // Two-factor authentication: the QR code and secret are drawn locally; a code turns it on.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Account" }).click();
    await page.getByRole("button", { name: "Set up two-factor authentication" }).click();
    const secret = (await page.getByTestId("totp-secret").textContent()) ?? "";
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    await page.getByRole("img", { name: "QR code of the two-factor secret" }).waitFor();
    await checkScreen("04-account-2fa-setup");
    const t0 = Date.now();
    await page.getByLabel("6-digit code from your authenticator app").fill(totpCode(secret, t0));
    await page.getByRole("button", { name: "Turn on" }).click();
    await page.getByText(/Two-factor authentication is on/).waitFor();
    await checkScreen("05-account");

    // Log out, and in again: the password, then the code of the next time step.
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    const codeField = page.getByLabel("6-digit code from your authenticator app");
    await codeField.waitFor();
    await checkScreen("06-login-2fa");
    await codeField.fill(totpCode(secret, t0 + 30_000));
    await page.getByRole("button", { name: "Verify and log in" }).click();
    await page.getByRole("navigation", { name: "Main" }).waitFor();

    // A new app with an image: created, deployed on the simulated worker, running.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Apps" }).click();
    await page.getByRole("link", { name: "New app" }).click();
    await page.getByLabel("Name", { exact: true }).fill("Flow App");
    await page.getByLabel("Image to deploy (optional)").fill("docker.io/library/nginx:1.27");
    await checkScreen("07-app-new");
    await page.getByRole("button", { name: "Create and deploy" }).click();
    await page.waitForURL(`${fx.cp.url}/apps/${SLUG}`);
    await page.locator(".app-title-row .badge", { hasText: "running" }).waitFor({ timeout: SEEN_MS });
    expect(fx.jobs.some((j) => j.type === "deploy" && j.app.slug === SLUG)).toBe(true);
    await page.getByTestId("live-stats").waitFor({ timeout: SEEN_MS });
    await checkScreen("08-app-overview");
    const app = await fx.cp.t.db.kysely
      .selectFrom("apps")
      .select(["id", "user_id"])
      .where("slug", "=", SLUG)
      .executeTakeFirstOrThrow();

    // The apps list shows it running on its worker.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Apps" }).click();
    const row = page.locator(`tr[data-app='${SLUG}']`);
    await row.locator(".badge", { hasText: "running" }).waitFor({ timeout: SEEN_MS });
    await row.getByText("sim-1").waitFor();
    await checkScreen("09-apps-list");

    // Logs: a line the worker sends now appears live, its escape sequence neutralised.
    await page.goto(`${fx.cp.url}/apps/${SLUG}/logs`);
    const log = page.getByRole("log", { name: "Runtime log" });
    await expect.poll(() => page.getByRole("status").filter({ hasText: "Live" }).count()).toBe(1);
    fx.sim.sendRuntimeLog([{ app_id: app.id, line: "GET /checkout 200 \u001b[32m12ms\u001b[0m" }]);
    await log.getByText(/GET \/checkout 200/).waitFor({ timeout: SEEN_MS });
    expect(await log.textContent()).not.toContain("\u001b");
    await checkScreen("10-app-logs");

    // Usage: two days of 5-minute buckets, charted with a text summary.
    await upsertUsageSamples(fx.cp.t.db.kysely, twoDaysOfUsage(app.id, app.user_id, Date.now()));
    await page.getByRole("navigation", { name: "App" }).getByRole("link", { name: "Usage" }).click();
    await page.getByRole("figure", { name: /CPU over the last 24 hours: min 20 %/ }).waitFor();
    await page.getByRole("button", { name: "7 d" }).click();
    await page.getByRole("figure", { name: /CPU over the last 7 days/ }).waitFor();
    await checkScreen("11-app-usage");

    // An alert rule: CPU above 80 % for 5 minutes, saved and read back.
    await page.getByRole("navigation", { name: "App" }).getByRole("link", { name: "Alerts" }).click();
    const cpu = page.getByRole("group", { name: "CPU" });
    await cpu.getByLabel("Enabled").check();
    await cpu.getByLabel(/^Threshold/).fill("80");
    await cpu.getByLabel("Sustain (minutes)").fill("5");
    await page.getByRole("button", { name: "Save rules" }).click();
    await page.getByText("Alert rules saved.").waitFor();
    const rules = await fx.cp.t.db.kysely
      .selectFrom("app_alert_rules")
      .selectAll()
      .where("app_id", "=", app.id)
      .execute();
    expect(rules.find((r) => r.kind === "cpu")).toMatchObject({ enabled: true });
    await checkScreen("12-app-alerts");

    // A webhook to a local receiver: its secret shown once, a test delivered and signed.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Webhooks" }).click();
    await page.getByLabel("URL").fill(receiver.url("/hooks/flow"));
    await page.getByRole("checkbox", { name: /App crash-looping/ }).check();
    await page.getByRole("button", { name: "Add webhook" }).click();
    expect((await page.getByTestId("webhook-secret").textContent()) ?? "").toMatch(/^whsec_/);
    await page.getByRole("button", { name: "I have copied it" }).click();
    const item = page.getByRole("listitem").filter({ hasText: `127.0.0.1:${receiver.port}` });
    const before = receiver.requests.length;
    await item.getByRole("button", { name: "Send test" }).click();
    await item.getByText(/Test delivered/).waitFor({ timeout: SEEN_MS });
    await receiver.waitFor(before + 1);
    expect(receiver.requests[before]!.path).toBe("/hooks/flow");
    expect(receiver.requests[before]!.headers["webhook-signature"]).toMatch(/^v1,/);
    await checkScreen("13-webhooks");

    // The alerts page and the admin's workers, for the record.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Alerts" }).click();
    await page.getByRole("heading", { name: "Alerts", level: 1 }).waitFor();
    await checkScreen("14-alerts");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" }).click();
    await page.getByRole("row", { name: /sim-1/ }).waitFor();
    await checkScreen("15-admin-workers");

    // Log out: back at the log-in form, and the old session no longer works.
    const cookies = await browser.context.cookies(fx.cp.url);
    const session = cookies.find((c) => c.name === "wh_session");
    expect(session?.httpOnly).toBe(true);
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByRole("heading", { name: "Log in" }).waitFor();
    const stale = await fetch(`${fx.cp.url}/api/v1/me`, {
      headers: { cookie: `wh_session=${session?.value ?? ""}` },
    });
    expect(stale.status).toBe(401);

    expect(problems).toEqual([]);
  }, 240_000);
});
