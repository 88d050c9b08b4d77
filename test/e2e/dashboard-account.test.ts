import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SimWorker } from "../../src/agent/sim/sim-worker.js";
import { EVENT_TYPES } from "../../src/events/publisher.js";
import { totpCode } from "../../src/web/totp.js";
import { ApiClient, signUp } from "../helpers/api-client.js";
import { makeApp } from "../helpers/db-fixtures.js";
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
import { Receiver } from "../helpers/webhook-receiver.js";

/**
 * The account, webhook and admin screens driven in Chromium like a user:
 * the administrator looks at the fleet, makes a join token (whose command's
 * token really registers a worker), edits a plan and invites someone; the
 * invited user signs up with the link in a second browser, turns 2FA on and
 * logs in again with a code, changes the password, makes and revokes an API
 * token, and adds and tests a webhook against a receiver started here.
 * Tests run in order and share the two browsers.
 */

const skipReason = browserSkipReason();
const SHOTS = path.join(SCREENSHOT_ROOT, "dashboard-account");
const ADMIN = { email: "admin@example.com", password: "correct horse battery" };
const ANN = { email: "ann@example.com", password: "ann's long password" };
const ANN_NEW_PASSWORD = "ann's new longer password";

let fx: DashboardFixture;
let receiver: Receiver;
let adminApi: ApiClient;
let adminBrowser: BrowserSession;
let annBrowser: BrowserSession;

/** Logs Ann in through the API: another session, which credential changes must revoke. */
async function annApiSession(password: string, code?: string): Promise<ApiClient> {
  const c = new ApiClient(fx.cp.url);
  const r = await c.post("/auth/login", {
    email: ANN.email,
    password,
    ...(code ? { totp_code: code } : {}),
  });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return c;
}

async function expectAccessible(page: Page) {
  expect(await seriousA11yViolations(page)).toEqual([]);
}

describe.skipIf(skipReason !== undefined)("account, webhooks and admin screens in a browser", () => {
  beforeAll(async () => {
    fx = await startDashboardFixture({ WISEHOSTING_WEBHOOKS_ALLOW_PRIVATE_TARGETS: "true" });
    receiver = await Receiver.start();
    adminApi = await signUp(fx.cp.url, ADMIN.email, ADMIN.password);
    adminBrowser = await launchBrowser({ screenshotDir: SHOTS });
    await logInThroughForm(adminBrowser.page, fx.cp.url, ADMIN.email, ADMIN.password);
  }, 60_000);
  afterAll(async () => {
    await adminBrowser?.close();
    await annBrowser?.close();
    await receiver?.close();
    await fx?.stop();
  });

  it("admin: shows the workers with their capacity bars", async () => {
    const page = adminBrowser.page;
    await page.getByRole("link", { name: "Admin" }).click();
    await page.waitForURL(/\/admin\/workers$/);
    const row = page.getByRole("row", { name: /sim-1/ });
    await expect.poll(() => row.count()).toBe(1);
    await row.getByText("online").waitFor();
    await row.getByText("eu-1").waitFor();
    const cpu = row.getByRole("meter", { name: "CPU of sim-1" });
    expect(await cpu.getAttribute("aria-valuemax")).toBe("64000");
    await row.getByText("of 64 CPU").waitFor();
    expect(await row.getByRole("meter", { name: "Memory of sim-1" }).getAttribute("aria-valuemax")).toBe(
      "131072",
    );
    await row.getByText("of 128 GB").waitFor();
    await row.getByText(/s ago|min ago/).waitFor();
    await expectAccessible(page);
    await adminBrowser.screenshot("admin-workers");
  });

  it("admin: creates a join token and shows the agent command, whose token registers a worker", async () => {
    const page = adminBrowser.page;
    await page.getByRole("link", { name: "Join token" }).click();
    await page.getByLabel("Worker name (optional)").fill("worker-2");
    await page.getByLabel("Token valid for").selectOption({ label: "10 minutes" });
    await page.getByRole("button", { name: "Create join token" }).click();
    const command = (await page.getByTestId("agent-command").textContent()) ?? "";
    const m = /^wisehosting agent --server (\S+) --join-token ([0-9a-f]{64}) --name worker-2$/.exec(command);
    expect(m, command).not.toBeNull();
    // The configured public URL (what workers must reach), not the origin the admin browses from.
    expect(m![1]).toBe(fx.cp.config.server.public_url);
    await page.getByText("you will not see it again").waitFor();
    await expectAccessible(page);
    await adminBrowser.screenshot("admin-join-token");

    // The token on screen is the real one: a worker registers with it, once.
    const worker = new SimWorker({
      baseUrl: fx.cp.url,
      name: "worker-2",
      zone: "eu-1",
      bearer: m![2]!,
      cpuMillicores: 2000,
      memoryMb: 2048,
    });
    try {
      await worker.start();
      const workers = (await adminApi.get("/admin/workers")).body.workers as { name: string }[];
      expect(workers.map((w) => w.name).sort()).toEqual(["sim-1", "worker-2"]);
    } finally {
      await worker.stop();
    }
    await page.getByRole("button", { name: "Done" }).click();
    await expect.poll(() => page.getByTestId("agent-command").count()).toBe(0);
  });

  it("admin: edits a plan's limits", async () => {
    const page = adminBrowser.page;
    await page.getByRole("link", { name: "Plans" }).click();
    await page.getByRole("button", { name: "Edit plan pro" }).click();
    const form = page.getByRole("form", { name: "Edit plan pro" });
    await form.getByLabel("Max apps").fill("0");
    await form.getByRole("button", { name: "Save limits" }).click();
    // The API's validation message, beside the field it names.
    await form.getByLabel("Max apps").and(page.locator('[aria-invalid="true"]')).waitFor();
    await form.getByLabel("Max apps").fill("25");
    await form.getByRole("button", { name: "Save limits" }).click();
    await page.getByText("Saved plan pro: 25 apps").waitFor();
    await page.getByRole("row", { name: /pro/ }).getByRole("cell", { name: "25", exact: true }).waitFor();
    expect(
      (await adminApi.get("/admin/plans")).body.plans as { name: string; max_apps: number }[],
    ).toContainEqual(expect.objectContaining({ name: "pro", max_apps: 25 }));
    await expectAccessible(page);
    await adminBrowser.screenshot("admin-plans");
  });

  it("admin: invites someone, who signs up with the link in another browser", async () => {
    const page = adminBrowser.page;
    await page.getByRole("link", { name: "Invites" }).click();
    await page.getByLabel("Email (optional)").fill(ANN.email);
    await page.getByLabel("Plan").selectOption("pro");
    await page.getByRole("button", { name: "Create invite" }).click();
    const link = (await page.getByTestId("invite-link").textContent()) ?? "";
    expect(link).toMatch(new RegExp(`^${fx.cp.url}/signup\\?invite=[0-9a-f]{64}$`));
    await page.getByRole("row", { name: new RegExp(ANN.email) }).waitFor();
    await expectAccessible(page);
    await adminBrowser.screenshot("admin-invites");

    annBrowser = await launchBrowser({ screenshotDir: SHOTS });
    const ann = annBrowser.page;
    await ann.goto(link);
    expect(await ann.getByLabel("Invite token").inputValue()).toBe(link.split("invite=")[1]);
    await ann.getByLabel("Email").fill(ANN.email);
    await ann.getByLabel("Password").fill(ANN.password);
    await ann.getByRole("button", { name: "Create account" }).click();
    await ann.getByRole("navigation", { name: "Main" }).waitFor();
    // Not an administrator: no Admin link, and the admin screen says so.
    expect(await ann.getByRole("link", { name: "Admin" }).count()).toBe(0);
    await ann.goto(`${fx.cp.url}/admin`);
    await ann.getByText(/Administrators only/).waitFor();
  }, 60_000);

  it("admin: lists the users and changes one's plan", async () => {
    const page = adminBrowser.page;
    await page.getByRole("link", { name: "Users" }).click();
    const row = page.getByRole("row", { name: new RegExp(ANN.email) });
    expect(await row.getByLabel(`Plan of ${ANN.email}`, { exact: true }).inputValue()).toBe("pro");
    await row.getByLabel(`Plan of ${ANN.email}`, { exact: true }).selectOption("unlimited");
    await row.getByRole("button", { name: `Change the plan of ${ANN.email}` }).click();
    await page.getByText(`${ANN.email} is now on the unlimited plan.`).waitFor();
    await page
      .getByRole("row", { name: new RegExp(ADMIN.email) })
      .getByText("admin", { exact: true })
      .waitFor();
    await expectAccessible(page);
    await adminBrowser.screenshot("admin-users");
  });

  it("account: shows the plan and its usage, fits a phone, and signs another session out", async () => {
    const other = await annApiSession(ANN.password);
    const page = annBrowser.page;
    await page.goto(`${fx.cp.url}/account`);
    await page.getByText("Your plan:").getByText("unlimited").waitFor();
    expect(
      await page.getByRole("meter", { name: "Apps used of the plan" }).getAttribute("aria-valuemax"),
    ).toBe("1000");
    await page.getByText("0 of 1000").waitFor();
    await page.getByRole("row", { name: /this browser/ }).waitFor();
    await expectAccessible(page);
    await atWidth(page, 375, () => expectNoSidewaysScroll(page));
    await annBrowser.screenshot("account");

    const sessions = page.getByRole("table", { name: "Signed-in browsers" }).getByRole("row");
    await expect.poll(() => sessions.count()).toBe(3);
    // This browser's row has no sign-out button: the only one is the API session's.
    const table = page.getByRole("table", { name: "Signed-in browsers" });
    await table.getByRole("button", { name: "Sign out" }).click();
    await table.getByRole("button", { name: "Yes, sign out" }).click();
    await page.getByText(/Signed out the session from/).waitFor();
    await expect.poll(() => sessions.count()).toBe(2);
    expect((await other.get("/me")).status).toBe(401);
  });

  it("account: turns 2FA on with the QR code's secret; the next log-in asks for a code", async () => {
    const page = annBrowser.page;
    await page.getByRole("button", { name: "Set up two-factor authentication" }).click();
    const secret = (await page.getByTestId("totp-secret").textContent()) ?? "";
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    const qr = page.getByRole("img", { name: "QR code of the two-factor secret" });
    expect(await qr.locator("rect").count()).toBeGreaterThan(50);
    await page.getByText("You will not see this secret again").waitFor();
    await expectAccessible(page);
    await annBrowser.screenshot("account-2fa-setup");
    const other = await annApiSession(ANN.password);

    // A wrong code is refused beside the field.
    await page.getByLabel("6-digit code from your authenticator app").fill("000000");
    await page.getByRole("button", { name: "Turn on" }).click();
    await page.getByText("wrong or already used code").waitFor();

    const t0 = Date.now();
    await page.getByLabel("6-digit code from your authenticator app").fill(totpCode(secret, t0));
    await page.getByRole("button", { name: "Turn on" }).click();
    await page
      .getByText(/Two-factor authentication is on.*other session and API token was signed out/)
      .waitFor();
    await expect.poll(() => page.getByTestId("totp-secret").count()).toBe(0);
    // The page carries on with its rotated cookie; the other session is gone.
    await page.getByRole("button", { name: "Turn off two-factor authentication" }).waitFor();
    expect((await other.get("/me")).status).toBe(401);

    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByLabel("Email").fill(ANN.email);
    await page.getByLabel("Password").fill(ANN.password);
    await page.getByRole("button", { name: "Log in" }).click();
    // The code of the next step: the one used to turn 2FA on cannot be used again.
    await page.getByLabel("6-digit code from your authenticator app").fill(totpCode(secret, t0 + 30_000));
    await page.getByRole("button", { name: "Verify and log in" }).click();
    await page.getByRole("navigation", { name: "Main" }).waitFor();
  }, 60_000);

  it("account: says when a 2FA set-up was left unfinished, and offers to start again", async () => {
    // A second account without 2FA: the admin's, in its own browser.
    const page = adminBrowser.page;
    await page.getByRole("link", { name: "Account" }).click();
    await page.getByRole("button", { name: "Set up two-factor authentication" }).click();
    await page.getByTestId("totp-secret").waitFor();
    await page.getByRole("link", { name: "Webhooks" }).click();
    await page.getByRole("link", { name: "Account" }).click();
    await page.getByText("You left a two-factor set-up unfinished").waitFor();
    expect(await page.getByTestId("totp-secret").count()).toBe(0);
    await page.getByRole("button", { name: "Start set-up again" }).click();
    await page.getByTestId("totp-secret").waitFor();
    await page.getByRole("button", { name: "Cancel set-up" }).click();
    await page.getByRole("button", { name: "Set up two-factor authentication" }).waitFor();
  });

  it("account: changes the password; a wrong current password is shown beside its field", async () => {
    const page = annBrowser.page;
    await page.getByRole("link", { name: "Account" }).click();
    const current = page.getByLabel("Current password");
    await current.fill("not my password");
    await page.getByLabel("New password").fill(ANN_NEW_PASSWORD);
    await page.getByRole("button", { name: "Change password" }).click();
    await page.getByText("wrong password").waitFor();
    expect(await current.getAttribute("aria-invalid")).toBe("true");
    const describedBy = (await current.getAttribute("aria-describedby")) ?? "";
    expect(await page.locator(`[id="${describedBy.split(" ").pop()}"]`).textContent()).toBe("wrong password");

    await current.fill(ANN.password);
    await page.getByRole("button", { name: "Change password" }).click();
    await page.getByText("Password changed. Every other session and API token was signed out.").waitFor();
    // Still signed in with the rotated cookie, after a reload too.
    await page.reload();
    await page.getByRole("heading", { name: "Account" }).waitFor();
    // The old password no longer gets as far as the code step.
    const old = await new ApiClient(fx.cp.url).post("/auth/login", {
      email: ANN.email,
      password: ANN.password,
    });
    expect(old.status).toBe(401);
    expect(old.body.error.code).not.toBe("totp_required");
  });

  it("account: creates an API token, shown once, and revokes it", async () => {
    const page = annBrowser.page;
    await page.getByLabel("Token name").fill("ci deploys");
    await page.getByRole("button", { name: "Create token" }).click();
    const token = (await page.getByTestId("created-token").textContent()) ?? "";
    expect(token.length).toBeGreaterThan(20);
    const viaToken = new ApiClient(fx.cp.url, { token });
    expect((await viaToken.get("/me")).body.user.email).toBe(ANN.email);
    await page.getByRole("button", { name: "I have copied it" }).click();
    await expect.poll(() => page.getByTestId("created-token").count()).toBe(0);

    const row = page.getByRole("row", { name: /ci deploys/ });
    await row.getByRole("button", { name: "Revoke" }).click();
    await row.getByRole("button", { name: "Yes, revoke" }).click();
    await page.getByText('Revoked the token "ci deploys"').waitFor();
    await expect.poll(() => page.getByRole("row", { name: /ci deploys/ }).count()).toBe(0);
    expect((await viaToken.get("/me")).status).toBe(401);
  });

  it("webhooks: adds one (secret shown once), sends a test the receiver gets, lists deliveries, removes it", async () => {
    const page = annBrowser.page;
    await page.getByRole("link", { name: "Webhooks" }).click();
    await page.getByText("No webhooks yet.").waitFor();
    // The form offers exactly the server's event catalogue.
    const boxes = page.getByRole("group", { name: "Events" }).getByRole("checkbox");
    expect(
      await boxes.evaluateAll((els) => els.map((e) => (e as unknown as { value: string }).value)),
    ).toEqual([...EVENT_TYPES]);

    // The API's URL error beside the URL field.
    await page.getByLabel("URL").fill("ftp://example.com/x");
    await page.getByRole("button", { name: "Add webhook" }).click();
    await page.getByLabel("URL").and(page.locator('[aria-invalid="true"]')).waitFor();

    await page.getByLabel("URL").fill(receiver.url("/hook/secret-path"));
    await page.getByRole("checkbox", { name: /App crash-looping/ }).check();
    await page.getByRole("button", { name: "Add webhook" }).click();
    const secret = (await page.getByTestId("webhook-secret").textContent()) ?? "";
    expect(secret).toMatch(/^whsec_/);
    await page.getByText("you will not see it again").waitFor();
    const item = page.getByRole("listitem").filter({ hasText: `127.0.0.1:${receiver.port}` });
    await item.getByText("app.crashloop").waitFor();
    expect(await item.textContent()).not.toContain("secret-path");
    await expectAccessible(page);
    await atWidth(page, 375, () => expectNoSidewaysScroll(page));
    await annBrowser.screenshot("webhooks");
    await page.getByRole("button", { name: "I have copied it" }).click();
    await expect.poll(() => page.getByTestId("webhook-secret").count()).toBe(0);

    const before = receiver.requests.length;
    await item.getByRole("button", { name: "Send test" }).click();
    await item.getByText("Test delivered: the receiver answered 200.").waitFor();
    await receiver.waitFor(before + 1);
    expect(receiver.requests[before]!.path).toBe("/hook/secret-path");
    expect(receiver.requests[before]!.headers["webhook-signature"]).toMatch(/^v1,/);

    // Tests are not stored; a real event is, and the list shows it on Refresh.
    await item.getByRole("button", { name: "Show deliveries" }).click();
    await item.getByText("No deliveries yet.").waitFor();
    const annId = ((await adminApi.get("/admin/users")).body.users as { id: number; email: string }[]).find(
      (u) => u.email === ANN.email,
    )!.id;
    const app = await makeApp(fx.cp.t.db.kysely, annId, { name: "Shop" });
    fx.cp.parts.publisher.publish({
      type: "app.crashloop",
      app: { id: app.id, name: app.name, slug: app.slug, user_id: app.user_id },
      time: new Date(),
    });
    await receiver.waitFor(before + 2);
    const delivery = item.getByRole("row", { name: /app\.crashloop/ });
    await expect
      .poll(async () => {
        await item.getByRole("button", { name: "Refresh deliveries" }).click();
        return (await delivery.count()) > 0 ? await delivery.textContent() : "";
      })
      .toMatch(/succeeded.*200/);
    await expectAccessible(page);
    await item.getByRole("button", { name: "Remove" }).click();
    await item.getByRole("button", { name: "Yes, remove" }).click();
    await page.getByText(/Removed the webhook/).waitFor();
    await page.getByText("No webhooks yet.").waitFor();
  });
});
