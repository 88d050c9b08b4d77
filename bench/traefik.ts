import type { AddressInfo } from "node:net";
import os from "node:os";
import { Worker } from "node:worker_threads";
import { sql, type Kysely } from "kysely";
import { createServer } from "../src/api/server.js";
import {
  renderProxyRoutes,
  serializeRoutes,
  toDynamicConfig,
  type TraefikRenderOptions,
} from "../src/api/traefik-render.js";
import { loadProxySnapshot } from "../src/api/traefik-snapshot.js";
import { createTraefikRoutes } from "../src/api/traefik.js";
import { WorkerAuth } from "../src/api/worker-auth.js";
import { WorkerJwt } from "../src/api/worker-jwt.js";
import type { Config } from "../src/config/schema.js";
import { SecretBox } from "../src/crypto/aes.js";
import type { DB } from "../src/db/schema.js";
import { createLogger } from "../src/log.js";
import { checkFlags, intFlag, UsageError } from "./args.js";
import { openBenchDatabase } from "./hub-db.js";
import type { LoadJob, LoadResult } from "./traefik-load.js";
import { fmtInt, fmtMb, fmtNum, percentile } from "./util.js";

export const TRAEFIK_USAGE =
  "traefik [--apps 1000,10000] [--workers 100] [--seconds 3] [--concurrency 16] [--database-url URL]";

const SECRET = "bench-master-secret-0123456789abcdef";
const PROXY_TOKEN = "bench-proxy-token-0123456789abcdef012345";
const GOAL_MS = 100;
const GOAL_APPS = 10_000;

const OPTIONS: TraefikRenderOptions = {
  baseDomain: "apps.example.com",
  entryPoints: ["web", "websecure"],
  certResolver: "letsencrypt",
};

const CONFIG = {
  server: { listen: "127.0.0.1:0" },
  proxy: {
    token: PROXY_TOKEN,
    base_domain: OPTIONS.baseDomain,
    entry_points: [...OPTIONS.entryPoints],
    cert_resolver: OPTIONS.certResolver,
  },
} as unknown as Config;

/**
 * `npm run bench -- traefik`: the proxy endpoint over 1,000 and 10,000
 * running apps (on 100 workers; a third of the apps with a verified custom
 * domain, a tenth with a second one, half of those unverified; plus 10 %
 * stopped apps that must be filtered out). Figures, each beside its baseline:
 *
 * - uncached: a cache miss as the endpoint takes it (two queries, pure render,
 *   serializeRoutes, UTF-8 encoding), median and p95 of repeated runs, split
 *   into its parts;
 *   baseline: JSON.stringify of the same rendered object. Goal: 10,000 apps
 *   in ≤ 100 ms.
 * - cached: requests/s of GET /v1/traefik/proxy-config over loopback with
 *   keep-alive (the cache's clock is frozen, so every request is a hit);
 *   baseline: a route on the same server that JSON.stringifies the same
 *   prepared object on every request.
 *
 * Wall times depend on what else the machine runs (the load average is
 * printed); the CPU time this process spent per uncached render is printed
 * beside them (on PGlite it includes the database, on PostgreSQL not the
 * server's share).
 *
 * Runs on in-memory PGlite, and also on PostgreSQL when --database-url (or
 * DATABASE_URL) names a server.
 */
export async function runTraefik(flags: Map<string, string>): Promise<void> {
  checkFlags(flags, ["apps", "workers", "seconds", "concurrency", "database-url"]);
  const sizes = (flags.get("apps") ?? "1000,10000").split(",").map((s) => Number(s.replaceAll("_", "")));
  if (sizes.some((n) => !Number.isSafeInteger(n) || n < 1)) {
    throw new UsageError(`--apps must be positive integers separated by commas`);
  }
  const workers = intFlag(flags, "workers", 100);
  const seconds = intFlag(flags, "seconds", 3);
  const concurrency = intFlag(flags, "concurrency", 16);
  const url = flags.get("database-url") ?? process.env.DATABASE_URL;
  for (const engine of url ? [url, undefined] : [undefined]) {
    for (const apps of sizes) await runOn(engine, apps, workers, seconds, concurrency);
  }
}

async function runOn(
  adminUrl: string | undefined,
  apps: number,
  workers: number,
  seconds: number,
  concurrency: number,
): Promise<void> {
  const log = createLogger("silent");
  const bench = await openBenchDatabase(adminUrl, log);
  const db = bench.db.kysely;
  try {
    await seed(db, apps, workers);
    const engine = bench.db.engine === "postgres" ? "PostgreSQL" : "PGlite (embedded)";
    const load = os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ");
    console.log(
      `traefik on ${engine}: running apps=${fmtInt(apps)} workers=${fmtInt(workers)}` +
        `   (load average ${load} on ${os.availableParallelism()} CPUs)`,
    );

    const secretBox = new SecretBox(SECRET);
    const auth = new WorkerAuth({
      db,
      jwt: new WorkerJwt({ masterSecret: SECRET }),
      secretBox,
      masterSecret: SECRET,
    });
    const routes = createTraefikRoutes({ db, auth, config: CONFIG, secretBox, now: () => 0 });

    const runs = apps >= 5000 ? 15 : 40;
    // The parts first: they warm up the same code, so the end-to-end figure is not the JIT's.
    const parts = await splitTimes(db, runs);
    const miss = await timed(runs, async () => {
      routes.invalidate();
      return routes.proxyConfigBody();
    });
    const body = miss.last;
    const prepared = toDynamicConfig(renderProxyRoutes(await loadProxySnapshot(db), OPTIONS), OPTIONS);
    const baseline = await timed(runs, () => Promise.resolve(JSON.stringify(prepared)));
    const routers = Object.keys(prepared.http.routers).length;

    console.log(
      `  uncached render: median ${fmtNum(miss.median)} ms, p95 ${fmtNum(miss.p95)} ms, ` +
        `CPU of this process ${fmtNum(miss.cpuMedian)} ms ` +
        `(${fmtInt(routers)} routers, body ${fmtMb(Buffer.byteLength(body))})` +
        (apps === GOAL_APPS ? `   goal ≤ ${GOAL_MS} ms: ${miss.median <= GOAL_MS ? "met" : "MISSED"}` : ""),
    );
    console.log(
      `    of which: queries ${fmtNum(parts.query)} ms, render ${fmtNum(parts.render)} ms, ` +
        `serialize ${fmtNum(parts.serialize)} ms (medians)`,
    );
    console.log(
      `  baseline JSON.stringify of the same object: median ${fmtNum(baseline.median)} ms; ` +
        `ratio uncached/baseline: ${fmtNum(miss.median / baseline.median)}`,
    );

    const served = await serveAndLoad(bench.db, routes, prepared, seconds, concurrency);
    console.log(
      `  cached endpoint: ${fmtInt(served.cached)} requests/s over loopback (concurrency ${concurrency}, ` +
        `${fmtNum(served.cachedMbS)} MB/s)`,
    );
    console.log(
      `  baseline route (JSON.stringify per request): ${fmtInt(served.baseline)} requests/s; ` +
        `ratio cached/baseline: ${fmtNum(served.cached / served.baseline)}`,
    );
  } finally {
    await bench.dispose();
  }
}

/**
 * N running apps spread round-robin over `workers` (each with a WireGuard
 * address), a current deployment each with a per-worker host port, custom
 * domains on some of them, and N/10 stopped apps. Set-based, a few statements.
 */
async function seed(db: Kysely<DB>, apps: number, workers: number): Promise<void> {
  await sql`
    INSERT INTO workers (name, api_key_hash, envelope_key_enc, status, wireguard_ip, cpu_millicores, memory_mb)
    SELECT 'bench-' || i, md5('k' || i) || md5('h' || i), 'x', 'online',
           '10.8.' || (i / 250) || '.' || (1 + i % 250), 64000, 262144
    FROM generate_series(1, ${workers}) AS i`.execute(db);
  await sql`INSERT INTO users (email, password_hash, plan_name) VALUES ('bench@example.com', 'x', 'unlimited')`.execute(
    db,
  );
  const stopped = Math.floor(apps / 10);
  await sql`
    INSERT INTO apps (user_id, name, slug, status, cpu_millicores, memory_mb, worker_id)
    SELECT (SELECT id FROM users LIMIT 1), 'app ' || i, 'app-' || i,
           CASE WHEN i > ${apps} THEN 'stopped' ELSE 'running' END, 100, 64,
           (SELECT min(id) FROM workers) + i % ${workers}
    FROM generate_series(1, ${apps + stopped}) AS i`.execute(db);
  await sql`
    INSERT INTO deployments (app_id, status, source_kind, image, cpu_millicores, memory_mb, worker_id, host_port, reserved)
    SELECT id, 'running', 'image', 'localhost/bench:1', 100, 64, worker_id,
           20000 + row_number() OVER (PARTITION BY worker_id ORDER BY id), true
    FROM apps`.execute(db);
  await sql`UPDATE apps AS a SET current_deployment_id = d.id FROM deployments AS d WHERE d.app_id = a.id`.execute(
    db,
  );
  await sql`
    INSERT INTO custom_domains (app_id, hostname, verification_token, verified_at)
    SELECT id, 'www.' || slug || '.example.org', 't', now() FROM apps WHERE id % 3 = 0
    UNION ALL
    SELECT id, slug || '.example.net', 't', CASE WHEN id % 20 = 0 THEN now() END FROM apps WHERE id % 10 = 0`.execute(
    db,
  );
  await sql`ANALYZE`.execute(db);
}

interface Timing<T> {
  median: number;
  p95: number;
  /** Median CPU time (user + system) of this process per run, ms. */
  cpuMedian: number;
  last: T;
}

/** Runs `fn` 3 times to warm up, then `runs` times, timing each. */
async function timed<T>(runs: number, fn: () => Promise<T>): Promise<Timing<T>> {
  let last = await fn();
  for (let i = 0; i < 2; i++) last = await fn();
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    last = await fn();
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return {
    median: percentile(times, 0.5),
    p95: percentile(times, 0.95),
    cpuMedian: percentile(cpu, 0.5),
    last,
  };
}

/** Medians of the three stages of a cache miss, each timed on its own. */
async function splitTimes(
  db: Kysely<DB>,
  runs: number,
): Promise<{ query: number; render: number; serialize: number }> {
  const query: number[] = [];
  const render: number[] = [];
  const serialize: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const snapshot = await loadProxySnapshot(db);
    const t1 = performance.now();
    const routes = renderProxyRoutes(snapshot, OPTIONS);
    const t2 = performance.now();
    serializeRoutes(routes, OPTIONS);
    const t3 = performance.now();
    query.push(t1 - t0);
    render.push(t2 - t1);
    serialize.push(t3 - t2);
  }
  return {
    query: percentile(query, 0.5),
    render: percentile(render, 0.5),
    serialize: percentile(serialize, 0.5),
  };
}

/** Serves the routes plus a baseline route on loopback and loads each for `seconds`. */
async function serveAndLoad(
  database: Parameters<typeof createServer>[0]["db"],
  routes: ReturnType<typeof createTraefikRoutes>,
  prepared: unknown,
  seconds: number,
  concurrency: number,
): Promise<{ cached: number; cachedMbS: number; baseline: number }> {
  const app = createServer({
    config: CONFIG,
    db: database,
    log: createLogger("silent"),
    now: () => new Date(),
  });
  routes.register(app);
  app.get("/bench/baseline", (_request, reply) =>
    reply.header("content-type", "application/json; charset=utf-8").send(JSON.stringify(prepared)),
  );
  await app.listen({ host: "127.0.0.1", port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  try {
    routes.invalidate();
    const cached = await load(port, "/v1/traefik/proxy-config", seconds, concurrency);
    const baseline = await load(port, "/bench/baseline", seconds, concurrency);
    return {
      cached: cached.perSecond,
      cachedMbS: cached.bytesPerSecond / (1024 * 1024),
      baseline: baseline.perSecond,
    };
  } finally {
    await app.close();
  }
}

/** Runs bench/traefik-load.ts in a worker thread against `path`. */
function load(
  port: number,
  path: string,
  seconds: number,
  concurrency: number,
): Promise<{ perSecond: number; bytesPerSecond: number }> {
  const job: LoadJob = { port, path, authorization: `Bearer ${PROXY_TOKEN}`, seconds, concurrency };
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./traefik-load.js", import.meta.url), { workerData: job });
    worker.once("message", (result: LoadResult) => {
      void worker.terminate();
      if ("error" in result) reject(new Error(result.error));
      else
        resolve({
          perSecond: result.requests / result.seconds,
          bytesPerSecond: result.bytes / result.seconds,
        });
    });
    worker.once("error", reject);
  });
}
