import path from "node:path";
import type { FastifyInstance } from "fastify";
import type { KyselyPlugin } from "kysely";
import { registerArtifactRoute } from "./api/artifact-route.js";
import { HeartbeatBatcher } from "./api/heartbeat-batcher.js";
import { HttpListener } from "./api/http-listener.js";
import { loadJobPayload } from "./api/job-message.js";
import { createServer } from "./api/server.js";
import { StatsStore } from "./api/stats-store.js";
import { WorkerAuth } from "./api/worker-auth.js";
import { WorkerJwt } from "./api/worker-jwt.js";
import { registerWorkerRoutes } from "./api/worker-routes.js";
import { createDispatcher } from "./api/ws-dispatch.js";
import { Hub, type HubOptions } from "./api/ws-hub.js";
import { registerWorkerSocket } from "./api/ws-route.js";
import { createTraefikRoutes, type TraefikRoutes } from "./api/traefik.js";
import { SecretBox } from "./crypto/aes.js";
import type { Publisher } from "./events/publisher.js";
import { WebhookDispatcher } from "./webhooks/dispatcher.js";
import type { LogBus } from "./logbus/log-bus.js";
import { MemoryLogBus } from "./logbus/memory-log-bus.js";
import { loadConfig } from "./config/load.js";
import { BUILTIN_PLANS, type Config } from "./config/schema.js";
import { openDatabase, type Database } from "./db/database.js";
import { migrateToLatest } from "./db/migrate.js";
import { upsertPlans } from "./db/plans.js";
import { startAll, stopAll, type Service } from "./lifecycle.js";
import { createLogger, type Logger } from "./log.js";
import { LocalWorker, localWorkerEnabled } from "./agent/local-worker.js";
import { Pruner } from "./maintenance/pruner.js";
import { JobNotifier } from "./scheduler/job-notifier.js";
import { PlacementNotifier } from "./scheduler/placement-notifier.js";
import { Scheduler } from "./scheduler/scheduler.js";
import { StuckJobRecovery } from "./scheduler/stuck-jobs.js";
import { WorkerHealthMonitor } from "./scheduler/worker-health.js";
import { UsageRecorder } from "./usage/recorder.js";
import { AlertManager } from "./alerts/manager.js";
import { ThresholdPoller } from "./alerts/threshold.js";
import { resolveTxt } from "node:dns/promises";
import type { TxtResolver } from "./web/deps.js";
import { LoginLimiter } from "./web/login-limiter.js";
import { userApiRoutes } from "./web/routes/index.js";
import { SessionAuth } from "./web/session-auth.js";
import type { UserRoute } from "./web/route.js";
import { registerDashboard } from "./web/dashboard.js";
import { installSecurityHeaders } from "./web/security-headers.js";
import { registerUserApi } from "./web/user-api.js";
import { PACKAGE_VERSION } from "./version.js";

export interface StartOptions {
  configPath?: string | undefined;
  env: NodeJS.ProcessEnv;
  /** Where logs go (stdout by default). */
  logDestination?: NodeJS.WritableStream;
}

/** The parts tests and later subsystems reach into. */
export interface ControlPlaneParts {
  hub: Hub;
  heartbeats: HeartbeatBatcher;
  stats: StatsStore;
  logBus: LogBus;
  publisher: Publisher;
  auth: WorkerAuth;
  jwt: WorkerJwt;
  secretBox: SecretBox;
  scheduler: Scheduler;
  placements: PlacementNotifier;
  stuckJobs: StuckJobRecovery;
  workerHealth: WorkerHealthMonitor;
  usage: UsageRecorder;
  traefik: TraefikRoutes;
  alerts: AlertManager;
  thresholds: ThresholdPoller;
  webhooks: WebhookDispatcher;
  /** The user API's route table as mounted (tests derive the authorization matrix from it). */
  userRoutes: readonly UserRoute[];
}

export interface BuildOverrides {
  publisher?: Publisher;
  /** Kysely plugins every part's queries go through (tests count statements with one). */
  kyselyPlugins?: KyselyPlugin[];
  now?: () => Date;
  hub?: Partial<Pick<HubOptions, "timings" | "heartbeatIntervalS" | "statsIntervalS" | "onHandled">>;
  /** TXT lookups for domain verification (node:dns by default). */
  resolveTxt?: TxtResolver;
  /** Log-in rate limits (tests tighten or loosen them). */
  loginLimiter?: LoginLimiter;
  /** The built dashboard's folder (dist/dashboard by default; tests point it at a fixture). */
  dashboardDir?: string;
}

export interface ControlPlane {
  app: FastifyInstance;
  parts: ControlPlaneParts;
  /** Background parts in start order (the HTTP listener is added by the caller). */
  services: Service[];
}

/**
 * Builds every part on an open, migrated database, wiring dependencies
 * through constructors. Nothing starts here.
 */
export function buildControlPlane(
  config: Config,
  db: Database,
  log: Logger,
  overrides: BuildOverrides = {},
): ControlPlane {
  const now = overrides.now ?? ((): Date => new Date());
  // The same clock in epoch ms, for the per-message paths: Date.now allocates nothing.
  const nowOverride = overrides.now;
  const nowMs = nowOverride ? (): number => nowOverride().getTime() : Date.now;
  const kdb = (overrides.kyselyPlugins ?? []).reduce((k, p) => k.withPlugin(p), db.kysely);
  const secretBox = new SecretBox(config.api_server.secret);
  const jwt = new WorkerJwt({ masterSecret: config.api_server.secret, now: nowMs });
  const auth = new WorkerAuth({ db: kdb, jwt, secretBox, masterSecret: config.api_server.secret });
  const stats = new StatsStore({ now: nowMs });
  const logBus = new MemoryLogBus();
  // Webhook deliveries are the events' way out: the dispatcher is the Publisher every part is given.
  const webhooks = new WebhookDispatcher({
    db: kdb,
    secretBox,
    log,
    now,
    baseDomain: config.proxy.base_domain,
    allowPrivateTargets: config.webhooks.allow_private_targets,
  });
  const publisher = overrides.publisher ?? webhooks;
  const heartbeats = new HeartbeatBatcher({ db: kdb, log, now });
  const hub = new Hub({
    db: kdb,
    log,
    stats,
    envelopeKey: (w) => auth.envelopeKey(w),
    loadJob: (jobId) => loadJobPayload(kdb, secretBox, jobId),
    now: nowMs,
    ...overrides.hub,
  });
  // App changes seen by the hub drop the proxy-config cache of this replica.
  const traefik = createTraefikRoutes({ db: kdb, auth, config, secretBox });
  hub.setHandler(
    createDispatcher({
      onAppsChanged: () => traefik.invalidate(),
      db: kdb,
      stats,
      logBus,
      publisher,
      heartbeats,
      now,
      replayPendingJobs: (conn) => hub.replayPendingJobs(conn),
      onPlacementChanged: (appId) => hub.forgetApp(appId),
    }),
  );

  // Scheduling: placement pushes to the hub after commit; the NOTIFY sent in
  // the placement transaction reaches the replica that holds the worker.
  const scheduler = new Scheduler({ db: kdb, log, now, intervalMs: config.scheduler.interval_ms });
  scheduler.setJobAssignedCallback((workerId) => hub.pushJob(workerId));
  const notifier = new JobNotifier({ db, log, onJobs: (workerId) => hub.pushJob(workerId) });
  // Placement changes committed by any replica drop this replica's ownership answers for the app.
  const placements = new PlacementNotifier({ db, log, onPlacementChanged: (appId) => hub.forgetApp(appId) });
  const stuckJobs = new StuckJobRecovery({
    db: kdb,
    log,
    publisher,
    now,
    timeoutS: config.scheduler.stuck_job_timeout_s,
  });
  const workerHealth = new WorkerHealthMonitor({
    db: kdb,
    log,
    now,
    heartbeatTimeoutS: config.workers.heartbeat_timeout_s,
    intervalMs: config.workers.health_interval_s * 1000,
  });

  const usage = new UsageRecorder({
    db: kdb,
    stats: hub,
    log,
    now,
    sampleIntervalMs: config.usage.sample_interval_s * 1000,
    retentionDays: config.usage.retention_days,
  });

  const alerts = new AlertManager({ db: kdb, publisher, now });
  const thresholds = new ThresholdPoller({
    db: kdb,
    stats: hub,
    manager: alerts,
    log,
    now,
    intervalMs: config.alerts.interval_s * 1000,
    // Each replica judges only the apps on workers it holds (their stats live in its hub).
    holdsWorker: (workerId) => hub.connection(workerId) !== undefined,
  });

  const app = createServer({ config, db, log, now });
  registerWorkerRoutes(app, { db: kdb, auth, jwt, secretBox, now });
  registerWorkerSocket(app, { auth, hub });
  registerArtifactRoute(app, { db: kdb, auth });
  traefik.register(app);

  const https = Boolean(config.server.tls_cert) || config.server.public_url.startsWith("https:");
  const sessions = new SessionAuth({ db: kdb, now, secureCookies: https });
  const userApiDeps = {
    db: kdb,
    config,
    secretBox,
    sessions,
    limiter: overrides.loginLimiter ?? new LoginLimiter(),
    logBus,
    stats: hub,
    publisher,
    webhooks,
    resolveTxt: overrides.resolveTxt ?? ((name: string) => resolveTxt(name)),
    onRoutesChanged: () => traefik.invalidate(),
    artifactsDir: path.join(config.data_dir, "artifacts"),
    now,
    log,
  };
  const userRoutes = userApiRoutes(userApiDeps);
  registerUserApi(app, userRoutes, {
    sessions,
    trustedOrigins: [new URL(config.server.public_url).origin],
    version: PACKAGE_VERSION,
  });
  registerDashboard(app, overrides.dashboardDir);
  installSecurityHeaders(app, { https });

  return {
    app,
    parts: {
      hub,
      heartbeats,
      stats,
      logBus,
      publisher,
      auth,
      jwt,
      secretBox,
      scheduler,
      placements,
      stuckJobs,
      workerHealth,
      usage,
      traefik,
      alerts,
      thresholds,
      webhooks,
      userRoutes,
    },
    services: [
      webhooks,
      heartbeats,
      hub,
      notifier,
      placements,
      scheduler,
      stuckJobs,
      workerHealth,
      thresholds,
      usage,
      new Pruner({ db: kdb, log, now }),
    ],
  };
}

export interface RunningServer {
  config: Config;
  db: Database;
  log: Logger;
  parts: ControlPlaneParts;
  /** The URL the server answers on (the bound port when listen used port 0). */
  url: string;
  /** The in-process worker of all-in-one mode, when it runs. */
  localWorker: LocalWorker | undefined;
  /** Stops every part in reverse start order, then closes the database. Idempotent. */
  stop(): Promise<void>;
}

/**
 * The composition root (DESIGN.md 4.1). Order matters: configuration first
 * (nothing else may start on a bad one), then the database and its
 * migrations (every part needs the schema), then the background parts, and
 * the HTTP listener last, so nothing is served before it can be answered.
 * stop() runs the same list backwards and closes the database last.
 */
export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const config = await loadConfig({ configPath: opts.configPath, env: opts.env });
  const log = createLogger(config.log.level, opts.logDestination);
  const now = (): Date => new Date();

  const db = await openDatabase(
    config.database.url
      ? { engine: "postgres", url: config.database.url }
      : { engine: "pglite", dataDir: path.join(config.data_dir, "db") },
    log,
  );
  const services: Service[] = [{ name: "database", start: () => Promise.resolve(), stop: () => db.close() }];
  try {
    await migrateToLatest(db, log);
    await upsertPlans(db.kysely, { ...BUILTIN_PLANS, ...config.plans });
  } catch (err) {
    await db.close();
    throw err;
  }

  const plane = buildControlPlane(config, db, log, { now });
  const listener = new HttpListener(plane.app, config.server.listen);
  services.push(...plane.services, listener);
  const scheme = config.server.tls_cert ? "https" : "http";
  const boundUrl = (): string => {
    const bound = listener.address;
    return bound
      ? `${scheme}://${bound.host.includes(":") ? `[${bound.host}]` : bound.host}:${bound.port}`
      : "";
  };
  // All-in-one mode: the in-process worker connects to this server's own
  // URL, so it starts after the listener and (stopping in reverse) stops before it.
  const localWorker = (await localWorkerEnabled(config, opts.env))
    ? new LocalWorker({ config, log, url: () => localUrl(boundUrl()) })
    : undefined;
  if (localWorker) services.push(localWorker);

  await startAll(services, log);

  let stopping: Promise<void> | undefined;
  const url = boundUrl();
  return {
    config,
    db,
    log,
    parts: plane.parts,
    url,
    localWorker,
    stop: () => (stopping ??= stopAll(services, log)),
  };
}

/** The server's URL as reached from this machine: a wildcard bind is dialled on loopback. */
function localUrl(url: string): string {
  return url.replace("://0.0.0.0:", "://127.0.0.1:").replace("://[::]:", "://[::1]:");
}

/** The block printed once the server is up: where to go, where things are. */
export function startupBanner(server: RunningServer): string {
  const c = server.config;
  return [
    "",
    "wisehosting control plane is running",
    `  URL:          ${server.url}   (public URL ${c.server.public_url})`,
    `  data dir:     ${c.data_dir}`,
    `  database:     ${server.db.description}`,
    `  secret:       ${c.secretSources.api_server}`,
    `  proxy token:  ${c.secretSources.proxy}`,
    `  health:       ${server.url}/health`,
    `  local worker: ${server.localWorker ? "on (apps run in this machine's Podman)" : "off"}`,
    "",
  ].join("\n");
}
