import type { Kysely } from "kysely";
import type { SecretBox } from "../crypto/aes.js";
import { listProxyRoutes, listWorkerRoutes } from "../db/apps.js";
import { listVerifiedDomainsOfRunningApps, type VerifiedDomainRow } from "../db/custom-domains.js";
import type { DB } from "../db/schema.js";
import type { Logger } from "../log.js";
import { appEnvAad, internalPort } from "./job-message.js";
import type { ProxyAppSnapshot, WorkerAppSnapshot } from "./traefik-render.js";

/**
 * Reads what the Traefik renderer needs, in two statements whatever the
 * number of apps: the routable apps (one join) and their verified domains.
 * The two reads are not one transaction; a domain verified between them shows
 * up on the next poll, and a domain of an app not in the first read is
 * ignored, so the snapshot never routes anything that was not routable.
 */

/** Every running app on a worker with a WireGuard address, with its verified domains. */
export async function loadProxySnapshot(db: Kysely<DB>): Promise<ProxyAppSnapshot[]> {
  const [routes, domains] = await Promise.all([listProxyRoutes(db), listVerifiedDomainsOfRunningApps(db)]);
  const byApp = groupDomains(domains);
  return routes.map((r) => ({
    slug: r.slug,
    upstreamIp: r.wireguard_ip,
    hostPort: r.host_port,
    domains: byApp.get(r.app_id) ?? [],
  }));
}

/**
 * The worker's running apps with at least one verified domain. The internal
 * port is the one the deploy job told the agent (internalPort of the current
 * deployment's env); an app whose env cannot be opened is logged and left
 * out, since its container could not have been deployed from it either.
 */
export async function loadWorkerSnapshot(
  db: Kysely<DB>,
  secretBox: SecretBox,
  workerId: number,
  log: Pick<Logger, "warn">,
): Promise<WorkerAppSnapshot[]> {
  const routes = await listWorkerRoutes(db, workerId);
  const byApp = groupDomains(
    await listVerifiedDomainsOfRunningApps(
      db,
      routes.map((r) => r.app_id),
    ),
  );
  const apps: WorkerAppSnapshot[] = [];
  for (const r of routes) {
    let port: number;
    try {
      port = internalPort(
        portEnv(r.env_enc === null ? "{}" : secretBox.openString(r.env_enc, appEnvAad(r.app_id))),
      );
    } catch (err) {
      log.warn({ err, appId: r.app_id, workerId }, "traefik: cannot read the app's env; app left out");
      continue;
    }
    apps.push({ slug: r.slug, internalPort: port, domains: byApp.get(r.app_id) ?? [] });
  }
  return apps;
}

/** Only PORT matters here; anything but a JSON object of strings holds none. */
function portEnv(json: string): Record<string, string> {
  const env: unknown = JSON.parse(json);
  if (typeof env !== "object" || env === null) return {};
  const port = (env as Record<string, unknown>).PORT;
  return typeof port === "string" ? { PORT: port } : {};
}

function groupDomains(rows: readonly VerifiedDomainRow[]): Map<number, string[]> {
  const byApp = new Map<number, string[]>();
  for (const { app_id, hostname } of rows) {
    const list = byApp.get(app_id);
    if (list) list.push(hostname);
    else byApp.set(app_id, [hostname]);
  }
  return byApp;
}
