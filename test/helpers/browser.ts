import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import AxeBuilder from "@axe-core/playwright";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { expect } from "vitest";

/**
 * Real-browser tests: Debian's Chromium driven by playwright-core (never a
 * downloaded browser). Headless, no sandbox (CI runs as root), no GPU, no
 * background networking (the machine's network is closed), and a fresh
 * user-data dir per launch.
 */
export const CHROMIUM = "/usr/bin/chromium";

/** Where the browser tests save their screenshots (one folder per test file). */
export const SCREENSHOT_ROOT = fileURLToPath(new URL("../../test-results/", import.meta.url));

/**
 * Why the browser tests cannot run here, or undefined when they can. In CI
 * (`CI` set) a missing browser is an error, not a skip: .ci/run installs it.
 */
export function browserSkipReason(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const reason = `${CHROMIUM} is missing (apt-get install chromium)`;
  if (process.env.CI) throw new Error(`${reason}: CI must run the browser tests`);
  return reason;
}

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  /** Saves a full-page screenshot as `<name>.png` in this session's folder; returns its path. */
  screenshot(name: string, page?: Page): Promise<string>;
  close(): Promise<void>;
}

export async function launchBrowser(opts: {
  screenshotDir: string;
  viewport?: { width: number; height: number };
}): Promise<BrowserSession> {
  const userDataDir = await mkdtemp(path.join(tmpdir(), "wh-chromium-"));
  await mkdir(opts.screenshotDir, { recursive: true });
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
      "--no-first-run",
    ],
    viewport: opts.viewport ?? { width: 1280, height: 860 },
    timezoneId: "Europe/Berlin",
    locale: "en-GB",
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    screenshot: async (name, p = page) => {
      const file = path.join(opts.screenshotDir, `${name}.png`);
      await p.screenshot({ path: file, fullPage: true });
      return file;
    },
    close: async () => {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

export interface AxeViolation {
  id: string;
  impact: string | null | undefined;
  help: string;
  nodes: string[];
}

/** Runs axe-core (WCAG 2.1 A and AA rules) on the page; returns the serious and critical violations. */
export async function seriousA11yViolations(page: Page): Promise<AxeViolation[]> {
  const result = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
    .analyze();
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => n.target.join(" ")),
    }));
}

/** Runs `fn` with the page's viewport `width` px wide (a phone: 375), then restores the viewport. */
export async function atWidth<T>(page: Page, width: number, fn: () => Promise<T>): Promise<T> {
  const before = page.viewportSize();
  await page.setViewportSize({ width, height: 800 });
  try {
    return await fn();
  } finally {
    if (before) await page.setViewportSize(before);
  }
}

/**
 * The page does not scroll sideways at its current viewport width (wide
 * tables scroll inside their own box instead); polled while layout settles.
 */
export async function expectNoSidewaysScroll(page: Page): Promise<void> {
  const width = page.viewportSize()?.width ?? 0;
  await expect
    .poll(() => page.evaluate<number>("document.documentElement.scrollWidth"), { timeout: 5000 })
    .toBeLessThanOrEqual(width);
}
