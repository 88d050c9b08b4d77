import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { HttpListener } from "../src/api/http-listener.js";
import { loadConfig } from "../src/config/load.js";
import { startAll, stopAll } from "../src/lifecycle.js";
import { createLogger } from "../src/log.js";
import { buildControlPlane } from "../src/main.js";
import { DEFAULT_DASHBOARD_DIR } from "../src/web/dashboard.js";
import { checkFlags, intFlag } from "./args.js";
import { FIRST_SCREEN_JS_BUDGET, firstScreenBundle, scriptGzipBytes } from "./dashboard-bundle.js";
import { openBenchDatabase } from "./hub-db.js";
import { fmtInt, fmtNum, mapLimit, percentile } from "./util.js";

export const DASHBOARD_USAGE = "dashboard [--apps 100] [--runs 10]";

const CHROMIUM = "/usr/bin/chromium";
const PASSWORD = "bench password 0123";
const ROWS_SELECTOR = "main table tbody tr";

interface AppRow {
  name: string;
  slug: string;
  status: string;
  url: string;
}

/**
 * `npm run bench -- dashboard`: the size of the first screen's bundle, and
 * the time from navigation to the apps list showing all `--apps` rows
 * (default 100), in Debian's Chromium against the real control plane on a
 * fresh database, `--runs` times with a cold cache (a new browser context)
 * and as many with a warm one. Baseline, in the same run and browser: the
 * same list as a server-rendered HTML table (no JavaScript at all) from a
 * plain node:http server, timed the same way; the ratio is ours/baseline.
 */
export async function runDashboard(flags: Map<string, string>): Promise<void> {
  checkFlags(flags, ["apps", "runs"]);
  const appCount = intFlag(flags, "apps", 100);
  const runs = intFlag(flags, "runs", 10);
  const dir = DEFAULT_DASHBOARD_DIR;
  if (!dir || !existsSync(path.join(dir, "index.html")))
    throw new Error("dist/dashboard is missing: npm run build");
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);

  const files = await firstScreenBundle(dir);
  console.log("dashboard: first screen bundle (gzip -9)");
  for (const f of files)
    console.log(`  ${f.kind.padEnd(6)} ${f.href}  ${fmtInt(f.bytes)} B raw, ${fmtInt(f.gzipBytes)} B gzip`);
  const js = scriptGzipBytes(files);
  console.log(
    `  JavaScript total: ${fmtNum(js / 1024)} KB gzip (budget ${fmtNum(FIRST_SCREEN_JS_BUDGET / 1024)} KB: ${js <= FIRST_SCREEN_JS_BUDGET ? "met" : "NOT met"})`,
  );

  const dataDir = await mkdtemp(path.join(os.tmpdir(), "wh-bench-dash-"));
  const log = createLogger("warn");
  const config = await loadConfig({
    env: {
      WISEHOSTING_DATA_DIR: dataDir,
      WISEHOSTING_LISTEN: "127.0.0.1:0",
      WISEHOSTING_SECRET: randomBytes(32).toString("hex"),
    },
  });
  const bench = await openBenchDatabase(process.env.BENCH_DATABASE_URL || undefined, log);
  const plane = buildControlPlane(config, bench.db, log);
  const listener = new HttpListener(plane.app, config.server.listen);
  const services = [...plane.services, listener];
  await startAll(services, log);
  let baseline: Server | undefined;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
  });
  try {
    const url = `http://127.0.0.1:${listener.address?.port ?? 0}`;
    const cookie = await seed(url, appCount);
    const apps = await getApps(url, cookie);
    baseline = await serveBaseline(apps);
    const baseUrl = `http://127.0.0.1:${(baseline.address() as AddressInfo).port}`;
    const cookieValue = /wh_session=([^;]+)/.exec(cookie)?.[1] ?? "";

    const newContext = async (): Promise<BrowserContext> => {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      await ctx.addCookies([{ name: "wh_session", value: cookieValue, url }]);
      return ctx;
    };
    /** When each request of a cold SPA load finished (ms since navigation), per run. */
    let steps = new Map<string, number[]>();
    const measure = async (ctx: BrowserContext, target: string): Promise<number> => {
      const page = await ctx.newPage();
      await page.goto(target, { waitUntil: "commit" });
      // Milliseconds since navigation start when every row is in the DOM, painted by the next frame.
      // A function, not a string: the dashboard's CSP forbids eval in the page.
      const ms = await page.waitForFunction(
        rowsPaintedAt,
        { sel: ROWS_SELECTOR, n: appCount },
        {
          polling: "raf",
          timeout: 30_000,
        },
      );
      const value = (await ms.jsonValue()) as number;
      for (const [name, at] of Object.entries(await page.evaluate(milestones))) {
        (steps.get(name) ?? steps.set(name, []).get(name)!).push(at);
      }
      await page.close();
      return value;
    };

    // One untimed warm-up of each (Chromium's own first start, the server's first requests).
    await measure(await newContext(), `${url}/apps`);
    await measure(await newContext(), `${baseUrl}/apps`);
    const series = {
      oursCold: [] as number[],
      baseCold: [] as number[],
      oursWarm: [] as number[],
      baseWarm: [] as number[],
    };
    const warmOurs = await newContext();
    const warmBase = await newContext();
    await measure(warmOurs, `${url}/apps`);
    await measure(warmBase, `${baseUrl}/apps`);
    const coldSteps = new Map<string, number[]>();
    for (let i = 0; i < runs; i++) {
      // Interleaved, so drift on the shared machine hits both alike.
      const a = await newContext();
      steps = coldSteps;
      series.oursCold.push(await measure(a, `${url}/apps`));
      steps = new Map();
      await a.close();
      const b = await newContext();
      series.baseCold.push(await measure(b, `${baseUrl}/apps`));
      await b.close();
      series.oursWarm.push(await measure(warmOurs, `${url}/apps`));
      series.baseWarm.push(await measure(warmBase, `${baseUrl}/apps`));
    }
    const p50 = (xs: number[]) => percentile(xs, 0.5);
    const p95 = (xs: number[]) => percentile(xs, 0.95);
    console.log(
      `\ndashboard: time to the apps list with ${appCount} rows rendered (${runs} runs each, Chromium headless)`,
    );
    console.log("| | cold cache p50 | cold p95 | warm cache p50 | warm p95 |");
    console.log("| --- | --- | --- | --- | --- |");
    console.log(
      `| ours (SPA + /api/v1) | ${fmtNum(p50(series.oursCold))} ms | ${fmtNum(p95(series.oursCold))} ms | ${fmtNum(p50(series.oursWarm))} ms | ${fmtNum(p95(series.oursWarm))} ms |`,
    );
    console.log(
      `| baseline (static HTML table) | ${fmtNum(p50(series.baseCold))} ms | ${fmtNum(p95(series.baseCold))} ms | ${fmtNum(p50(series.baseWarm))} ms | ${fmtNum(p95(series.baseWarm))} ms |`,
    );
    console.log(
      `ratio ours/baseline (p50): cold ${fmtNum(p50(series.oursCold) / p50(series.baseCold))}, warm ${fmtNum(p50(series.oursWarm) / p50(series.baseWarm))}`,
    );
    console.log(
      "where a cold load of ours spends its time (p50, ms since navigation, when each answer ended):",
    );
    for (const [name, xs] of [...coldSteps].sort((x, y) => p50(x[1]) - p50(y[1]))) {
      console.log(`  ${fmtNum(p50(xs)).padStart(7)} ms  ${name}`);
    }
    await warmOurs.close();
    await warmBase.close();
  } finally {
    await browser.close();
    await new Promise<void>((r) => (baseline ? baseline.close(() => r()) : r()));
    await stopAll(services, log);
    await bench.dispose();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The page's globals this bench touches (the server's type library has no DOM). */
interface PageGlobals {
  document: { querySelectorAll(selector: string): { length: number } };
  requestAnimationFrame(callback: () => void): void;
  performance: { now(): number };
}

/**
 * Runs in the page: false until `n` elements match `sel`, then the time
 * since navigation start at the next animation frame (the rows are painted).
 */
function rowsPaintedAt({ sel, n }: { sel: string; n: number }): Promise<number | false> | false {
  const g = globalThis as unknown as PageGlobals;
  if (g.document.querySelectorAll(sel).length < n) return false;
  return new Promise<number | false>((resolve) =>
    g.requestAnimationFrame(() => resolve(g.performance.now())),
  );
}

/**
 * Runs in the page: when the document and each resource finished loading,
 * in ms since navigation start, keyed by path (hashed asset names shortened
 * to their kind).
 */
function milestones(): Record<string, number> {
  interface Timing {
    name: string;
    responseEnd: number;
  }
  const g = globalThis as unknown as {
    performance: { getEntriesByType(type: string): Timing[] };
    location: { origin: string };
  };
  const out: Record<string, number> = {};
  for (const e of [
    ...g.performance.getEntriesByType("navigation"),
    ...g.performance.getEntriesByType("resource"),
  ]) {
    const p = e.name.startsWith(g.location.origin) ? e.name.slice(g.location.origin.length) : e.name;
    const key = p.startsWith("/assets/")
      ? `asset ${p.slice(p.lastIndexOf(".") + 1)}`
      : p.startsWith("/api/")
        ? `GET ${p}`
        : `document ${p}`;
    out[key] = Math.max(out[key] ?? 0, e.responseEnd);
  }
  return out;
}

/** Signs up the first (admin) account, lifts its plan's app limit, creates `n` apps; returns the cookie. */
async function seed(url: string, n: number): Promise<string> {
  const res = await fetch(`${url}/api/v1/auth/signup`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: url },
    body: JSON.stringify({ email: "bench@example.com", password: PASSWORD }),
  });
  if (res.status !== 201) throw new Error(`sign-up: ${res.status} ${await res.text()}`);
  const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  const me = (await (await call(url, cookie, "GET", "/me")).json()) as { user: { id: number; plan: string } };
  await call(url, cookie, "PUT", `/admin/plans/bench`, {
    max_apps: n + 10,
    max_cpu_millicores: 1_000_000,
    max_memory_mb: 10_000_000,
  });
  await call(url, cookie, "PATCH", `/admin/users/${me.user.id}`, { plan: "bench" });
  await mapLimit([...Array(n).keys()], 8, async (i) => {
    const r = await call(url, cookie, "POST", "/apps", { name: `Bench app ${i}`, slug: `bench-${i}` });
    if (r.status !== 201) throw new Error(`create app ${i}: ${r.status} ${await r.text()}`);
  });
  return cookie;
}

async function call(
  url: string,
  cookie: string,
  method: string,
  p: string,
  body?: unknown,
): Promise<Response> {
  const r = await fetch(`${url}/api/v1${p}`, {
    method,
    headers: { cookie, origin: url, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (r.status >= 400) throw new Error(`${method} ${p}: ${r.status} ${await r.text()}`);
  return r;
}

async function getApps(url: string, cookie: string): Promise<AppRow[]> {
  return ((await (await call(url, cookie, "GET", "/apps")).json()) as { apps: AppRow[] }).apps;
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The baseline: the same rows as a server-rendered table, no script, served from memory. */
async function serveBaseline(apps: readonly AppRow[]): Promise<Server> {
  const rows = apps
    .map(
      (a) =>
        `<tr><td><a href="/apps/${esc(a.slug)}">${esc(a.name)}</a></td><td>${esc(a.status)}</td><td>${esc(a.url)}</td><td>–</td><td>–</td></tr>`,
    )
    .join("");
  const html =
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>apps</title></head><body><main>` +
    `<h1>Apps</h1><table><thead><tr><th>Name</th><th>Status</th><th>URL</th><th>CPU</th><th>Memory</th></tr></thead>` +
    `<tbody>${rows}</tbody></table></main></body></html>`;
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(html);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return server;
}
