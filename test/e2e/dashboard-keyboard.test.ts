import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signUp } from "../helpers/api-client.js";
import {
  browserSkipReason,
  launchBrowser,
  SCREENSHOT_ROOT,
  type BrowserSession,
} from "../helpers/browser.js";
import { startDashboardFixture, type DashboardFixture } from "../helpers/dashboard-fixture.js";

/**
 * The dashboard with the keyboard alone: no click, no mouse. Tab reaches
 * each control in order, Enter submits forms and follows links, and a
 * confirmation takes the focus so Enter confirms it.
 */

const skipReason = browserSkipReason();
const EMAIL = "keys@example.com";
const PASSWORD = "correct horse battery";

/** What has the focus: its tag, accessible label or text, for assertions and for tabTo. */
function focused(page: Page): Promise<string> {
  return page.evaluate(`(() => {
    const el = document.activeElement;
    if (!el) return "";
    const id = el.getAttribute("id");
    const label = id ? document.querySelector('label[for="' + id + '"]') : null;
    return el.tagName.toLowerCase() + ":" + ((label && label.textContent) || el.textContent || "").trim();
  })()`);
}

/** Presses Tab until the focused element matches (at most 40 times); fails if it never does. */
async function tabTo(page: Page, want: RegExp): Promise<void> {
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press("Tab");
    if (want.test(await focused(page))) return;
  }
  throw new Error(`Tab never reached ${want}; the focus is on ${await focused(page)}`);
}

describe.skipIf(skipReason !== undefined)("the dashboard with the keyboard only", () => {
  let fx: DashboardFixture;
  let browser: BrowserSession;
  let page: Page;

  beforeAll(async () => {
    fx = await startDashboardFixture();
    await signUp(fx.cp.url, EMAIL, PASSWORD);
    browser = await launchBrowser({ screenshotDir: path.join(SCREENSHOT_ROOT, "dashboard-keyboard") });
    page = browser.page;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await fx?.stop();
  });

  it("logs in, skips to the content, creates an app and confirms a restart without a mouse", async () => {
    await page.goto(`${fx.cp.url}/`);
    await page.getByRole("heading", { name: "Log in" }).waitFor();
    // The first Tab lands on the first field of the form.
    await page.keyboard.press("Tab");
    expect(await focused(page)).toBe("input:Email");
    await page.keyboard.type(EMAIL);
    await page.keyboard.press("Tab");
    expect(await focused(page)).toBe("input:Password");
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press("Enter");
    await page.getByRole("navigation", { name: "Main" }).waitFor();

    // The skip link comes first and moves the focus to the content.
    await page.keyboard.press("Tab");
    expect(await focused(page)).toBe("a:Skip to content");
    await page.keyboard.press("Enter");
    expect(await page.evaluate("document.activeElement && document.activeElement.id")).toBe("main");

    // From the content, to the new-app form by its link, and submitted with Enter.
    await tabTo(page, /^a:New app$|^a:Create your first app$/);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "New app" }).waitFor();
    await tabTo(page, /^input:Name$/);
    await page.keyboard.type("Keyboard App");
    await page.keyboard.press("Enter");
    await page.waitForURL(`${fx.cp.url}/apps/keyboard-app`);
    await page.getByRole("heading", { name: "Keyboard App", level: 1 }).waitFor();

    // A deployment first, so the app can be restarted.
    await tabTo(page, /^input:Image$/);
    await page.keyboard.type("docker.io/library/nginx:1.27");
    await page.keyboard.press("Enter");
    await page.locator(".app-title-row .badge", { hasText: "running" }).waitFor({ timeout: 30_000 });

    // Restart asks first; the confirmation takes the focus, Enter confirms.
    await page.goto(`${fx.cp.url}/apps/keyboard-app`);
    await page.getByRole("group", { name: "App actions" }).waitFor();
    await tabTo(page, /^button:Restart$/);
    await page.keyboard.press("Enter");
    expect(await focused(page)).toBe("button:Yes, restart");
    const before = fx.jobs.filter((j) => j.type === "restart").length;
    await page.keyboard.press("Enter");
    await page.getByText("Restart requested").waitFor();
    await expect
      .poll(() => fx.jobs.filter((j) => j.type === "restart").length, { timeout: 30_000 })
      .toBe(before + 1);
    await browser.screenshot("restart-confirmed-by-keyboard");
  }, 120_000);
});
