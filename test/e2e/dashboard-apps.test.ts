import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

/**
 * The apps screens in Chromium, driven like a user against the real control
 * plane and a simulated worker: create an app with an image from the form,
 * watch it deploy and run, see live stats in the list, set and remove an env
 * var, restart, read a build log, delete an app.
 */

const skipReason = browserSkipReason();
const EMAIL = "apps-user@example.com";
const PASSWORD = "correct horse battery";
/** Polls of the screens are 3–5 s; a state change must show within a few of them. */
const SEEN_MS = 20_000;

describe.skipIf(skipReason)("dashboard: apps, app page, deployments, env, actions", () => {
  let fx: DashboardFixture;
  let browser: BrowserSession;
  let api: ApiClient;
  let page: Page;

  beforeAll(async () => {
    fx = await startDashboardFixture();
    api = await signUp(fx.cp.url, EMAIL, PASSWORD);
    browser = await launchBrowser({ screenshotDir: path.join(SCREENSHOT_ROOT, "dashboard-apps") });
    page = browser.page;
    await logInThroughForm(page, fx.cp.url, EMAIL, PASSWORD);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await fx?.stop();
  });

  it("shows an empty apps list that says how to create the first app", async () => {
    await page.getByRole("heading", { name: "Apps", level: 1 }).waitFor();
    await page.getByText("You have no apps yet.").waitFor();
    await page.getByRole("link", { name: "Create your first app" }).waitFor();
    await expect(page.getByText("wisehosting deploy ./my-app", { exact: true }).count()).resolves.toBe(1);
    expect(await seriousA11yViolations(page)).toEqual([]);
  });

  it("creates an app with an image and an env var from the form; it deploys and runs", async () => {
    await page.getByRole("link", { name: "New app" }).click();
    await page.getByRole("heading", { name: "New app" }).waitFor();
    await page.getByTestId("plan-room").waitFor();
    await page.getByLabel("Name", { exact: true }).fill("Shop Front");
    // The slug the API will make from the name is shown before sending.
    await page.getByText("Leave empty to use shop-front.").waitFor();
    await expect(page.getByTestId("deploy-command").textContent()).resolves.toBe(
      "wisehosting deploy ./my-app --app shop-front",
    );
    // An env row's name the API would refuse is shown beside it, before anything is sent.
    await page.getByLabel("Variable 1 name").fill("1BAD");
    await page.getByLabel("Image to deploy (optional)").fill("docker.io/library/nginx:1.27");
    await page.getByRole("button", { name: "Create and deploy" }).click();
    await page.getByText(/names start with a letter/).waitFor();
    expect((await api.get("/apps")).body.apps).toEqual([]);
    // Pasting NAME=value into a name input splits it into both.
    await page.getByLabel("Variable 1 name").fill("");
    await page.getByLabel("Variable 1 name").fill("DATABASE_URL=postgres://db/shop");
    await expect(page.getByLabel("Variable 1 value").inputValue()).resolves.toBe("postgres://db/shop");
    await page.getByText(/names start with a letter/).waitFor({ state: "detached" });
    // The API's refusal (over the plan) is shown beside the field it names; nothing is created.
    await page.getByLabel("Memory (MB)").fill("4096");
    await page.getByRole("button", { name: "Create and deploy" }).click();
    await page.getByText(/the free plan allows 512 MB over all apps/).waitFor();
    await expect(page.getByLabel("Memory (MB)").getAttribute("aria-invalid")).resolves.toBe("true");
    expect((await api.get("/apps")).body.apps).toEqual([]);
    await page.getByLabel("Memory (MB)").fill("256");
    expect(await seriousA11yViolations(page)).toEqual([]);
    await browser.screenshot("app-new");

    await page.getByRole("button", { name: "Create and deploy" }).click();
    await page.waitForURL(`${fx.cp.url}/apps/shop-front`);
    await page.getByRole("heading", { name: "Shop Front", level: 1 }).waitFor();
    const app = (await api.get("/apps/shop-front")).body.app;
    expect(app.env_names).toEqual(["DATABASE_URL"]);
    await expect
      .poll(() => fx.jobs.filter((j) => j.type === "deploy" && j.app.slug === "shop-front").length, {
        timeout: SEEN_MS,
      })
      .toBe(1);
    // The header's badge follows the app to running; live stats appear on the overview.
    await page.locator(".app-title-row .badge", { hasText: "running" }).waitFor({ timeout: SEEN_MS });
    await page.getByTestId("live-stats").waitFor({ timeout: SEEN_MS });
    await page.getByRole("meter", { name: "Memory used of the app's limit" }).waitFor();
    await page.getByRole("link", { name: /\(build log\)/ }).waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
    await browser.screenshot("app-overview");
    await atWidth(page, 375, async () => {
      await expectNoSidewaysScroll(page);
      await browser.screenshot("app-overview-375px");
    });
  });

  it("lists the app with its worker and live CPU and memory, refreshed with one request for all apps", async () => {
    const statsCalls: string[] = [];
    const onRequest = (r: { url(): string }) => {
      if (r.url().includes("/api/v1/apps/") && r.url().endsWith("/stats")) statsCalls.push(r.url());
    };
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Apps" }).click();
    const row = page.locator("tr[data-app='shop-front']");
    await row.getByRole("link", { name: "Shop Front" }).waitFor();
    // Only from here: the overview left by the last test polls its app's /stats until it unmounts.
    page.on("request", onRequest);
    await row.getByText("sim-1").waitFor();
    await row.locator(".badge", { hasText: "running" }).waitFor({ timeout: SEEN_MS });
    // Live cells: CPU as "n %", memory as "n MiB / 256 MiB".
    await row.getByText(/\/ 256 MiB/).waitFor({ timeout: SEEN_MS });
    await expect(row.locator("td.num").first().textContent()).resolves.toMatch(/%$/);
    const live = await page.waitForResponse((r) => r.url().endsWith("/api/v1/apps-stats"), {
      timeout: SEEN_MS,
    });
    expect(live.status()).toBe(200);
    page.off("request", onRequest);
    expect(statsCalls).toEqual([]);
    // The URL is a link (http only).
    const href = await row.getByRole("link", { name: /shop-front/ }).getAttribute("href");
    expect(href).toMatch(/^https?:\/\//);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await browser.screenshot("apps-list");
    await atWidth(page, 375, async () => {
      await expectNoSidewaysScroll(page);
      await browser.screenshot("apps-list-375px");
    });
  });

  it("sets, replaces and removes an env var (names only), offering to redeploy", async () => {
    await page.getByRole("link", { name: "Shop Front" }).click();
    await page.getByRole("navigation", { name: "App sections" }).getByRole("link", { name: "Env" }).click();
    await page.waitForURL(`${fx.cp.url}/apps/shop-front/env`);
    await page.locator("tr[data-env='DATABASE_URL']").waitFor();
    await expect(page.getByText("postgres://db/shop").count()).resolves.toBe(0);

    await page.getByLabel("Name", { exact: true }).fill("FEATURE_FLAG");
    await page.getByLabel("Value", { exact: true }).fill("on");
    await page.getByRole("button", { name: "Set", exact: true }).click();
    await page.getByText("FEATURE_FLAG set. Changes apply to the next deployment.").waitFor();
    await page.locator("tr[data-env='FEATURE_FLAG']").waitFor();
    expect((await api.get("/apps/shop-front")).body.app.env_names).toEqual(["DATABASE_URL", "FEATURE_FLAG"]);
    await page.getByRole("button", { name: "Redeploy now" }).waitFor();

    // Replace: the name is taken from the row, the value typed anew.
    await page
      .locator("tr[data-env='DATABASE_URL']")
      .getByRole("button", { name: "Replace DATABASE_URL" })
      .click();
    await page.getByRole("heading", { name: "Replace DATABASE_URL" }).waitFor();
    await page.getByLabel("Value", { exact: true }).fill("postgres://db/shop2");
    await page.getByRole("button", { name: "Replace", exact: true }).click();
    await page.getByText("DATABASE_URL replaced. Changes apply to the next deployment.").waitFor();
    expect((await api.get("/apps/shop-front")).body.app.env_names).toEqual(["DATABASE_URL", "FEATURE_FLAG"]);

    // A bad name is refused beside the field before sending.
    await page.getByLabel("Name", { exact: true }).fill("no-dashes");
    await page.getByRole("button", { name: "Set", exact: true }).click();
    await page.getByText(/names start with a letter/).waitFor();

    await page.getByRole("button", { name: "Remove FEATURE_FLAG" }).click();
    await page.getByRole("button", { name: "Yes, remove" }).click();
    await page.getByText("FEATURE_FLAG removed.").waitFor();
    await page.locator("tr[data-env='FEATURE_FLAG']").waitFor({ state: "detached" });
    expect((await api.get("/apps/shop-front")).body.app.env_names).toEqual(["DATABASE_URL"]);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await browser.screenshot("app-env");
  });

  it("restarts the app after a confirmation, and the restart job reaches the worker", async () => {
    const actions = page.getByRole("group", { name: "App actions" });
    await actions.getByRole("button", { name: "Restart" }).click();
    await page.getByText("Restart Shop Front? It is unavailable for a moment.").waitFor();
    await page.getByRole("button", { name: "Yes, restart" }).click();
    await page.getByText(/Restart requested/).waitFor();
    await expect
      .poll(() => fx.jobs.some((j) => j.type === "restart" && j.app.slug === "shop-front"), {
        timeout: SEEN_MS,
      })
      .toBe(true);
  });

  it("deploys an image from the overview and streams its build log to the end", async () => {
    await page
      .getByRole("navigation", { name: "App sections" })
      .getByRole("link", { name: "Overview" })
      .click();
    await page.getByLabel("Image", { exact: true }).fill("docker.io/library/nginx:1.28");
    await page.getByRole("button", { name: "Deploy image" }).click();
    await page.waitForURL(/\/apps\/shop-front\/deployments\/\d+$/);
    const log = page.getByTestId("build-log");
    await log.getByText(/STEP 2\/2: starting the container/).waitFor({ timeout: SEEN_MS });
    await page.getByText("Ended: running").waitFor({ timeout: SEEN_MS });
    expect(await log.evaluate((el) => el.children.length)).toBe(0);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await browser.screenshot("deployment-log");

    await page.getByRole("link", { name: "← All deployments" }).click();
    await page.getByRole("table", { name: "Deployments" }).waitFor();
    const rows = page.getByRole("table", { name: "Deployments" }).locator("tbody tr");
    await expect.poll(() => rows.count(), { timeout: SEEN_MS }).toBe(2);
    await rows.first().getByText("docker.io/library/nginx:1.28").waitFor();
    await rows
      .first()
      .getByRole("link", { name: /\(current\)/ })
      .waitFor({ timeout: SEEN_MS });
    expect(await seriousA11yViolations(page)).toEqual([]);
    await browser.screenshot("app-deployments");

    // The first deployment's log, finished, opens from the list.
    await rows.nth(1).getByRole("link").click();
    await page
      .getByTestId("build-log")
      .getByText(/STEP 1\/2: pulling the image/)
      .waitFor();
    await page.getByText(/^Ended: (superseded|running)$/).waitFor();
  });

  it("deletes an app after its slug is typed, and goes back to the list", async () => {
    expect((await api.post("/apps", { name: "Temp thing" })).status).toBe(201);
    await page.goto(`${fx.cp.url}/apps/temp-thing`);
    await page.getByRole("heading", { name: "Temp thing", level: 1 }).waitFor();
    await page.getByRole("button", { name: "Delete" }).click();
    const confirm = page.getByRole("button", { name: "Delete permanently" });
    expect(await confirm.isDisabled()).toBe(true);
    await page.getByLabel("Type temp-thing to confirm").fill("temp-thin");
    expect(await confirm.isDisabled()).toBe(true);
    await page.getByLabel("Type temp-thing to confirm").fill("temp-thing");
    await confirm.click();
    await page.waitForURL(`${fx.cp.url}/apps`);
    await page.locator("tr[data-app='shop-front']").waitFor();
    await expect(page.locator("tr[data-app='temp-thing']").count()).resolves.toBe(0);
    expect((await api.get("/apps/temp-thing")).status).toBe(404);
  });
});
