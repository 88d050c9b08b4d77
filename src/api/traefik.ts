import type { FastifyInstance, FastifyReply } from "fastify";
import type { Kysely } from "kysely";
import type { Config } from "../config/schema.js";
import type { SecretBox } from "../crypto/aes.js";
import { constantTimeEqual } from "../crypto/compare.js";
import type { DB } from "../db/schema.js";
import { UnauthorizedError } from "../errors.js";
import { RenderCache } from "./render-cache.js";
import {
  renderProxyRoutes,
  renderWorkerRoutes,
  serializeRoutes,
  type TraefikRenderOptions,
} from "./traefik-render.js";
import { loadProxySnapshot, loadWorkerSnapshot } from "./traefik-snapshot.js";
import { extractBearer, type WorkerAuth } from "./worker-auth.js";

/** How long the proxy endpoint serves one rendering (worker protocol §6). */
export const PROXY_CONFIG_TTL_MS = 5000;

export interface TraefikRoutesDeps {
  db: Kysely<DB>;
  auth: WorkerAuth;
  config: Pick<Config, "proxy">;
  /** Opens the current deployment's env, for the per-worker endpoint's internal port. */
  secretBox: SecretBox;
  /** Milliseconds on a monotonic line, for the cache; `performance.now()` by default. */
  now?: () => number;
}

export interface TraefikRoutes {
  /** Adds GET /v1/traefik/proxy-config and GET /v1/traefik/config to `app`. */
  register(app: FastifyInstance): void;
  /**
   * Drops the proxy endpoint's cached rendering. Call it after anything that
   * changes what is routed (an app's status or current deployment, a custom
   * domain added, verified or removed) on this replica; other replicas catch
   * up within PROXY_CONFIG_TTL_MS.
   */
  invalidate(): void;
  /** The proxy endpoint's body (UTF-8 JSON), through the cache (for benchmarks and tests). */
  proxyConfigBody(): Promise<Buffer>;
}

/**
 * The Traefik HTTP-provider endpoints (worker protocol §2 and §6):
 *
 * - `GET /v1/traefik/proxy-config`: `Authorization: Bearer <proxy.token>`,
 *   compared in constant time; every running app on a worker with a
 *   WireGuard address. The body is rendered at most once per 5 s (concurrent
 *   polls share one render) and served as the same bytes until then.
 * - `GET /v1/traefik/config`: worker auth (JWT or the raw API key: a
 *   Traefik cannot refresh a JWT); only the calling worker's running apps
 *   with a verified custom domain. Not cached: it is one worker's few apps.
 *
 * Both authenticate before touching the database and answer 401 `unauthorized`
 * to a missing or wrong credential. Bodies are serializeRoutes output (keys
 * sorted at every depth): equal state gives equal bytes, so Traefik (which
 * hashes the body) reloads only on a real change.
 */
export function createTraefikRoutes(deps: TraefikRoutesDeps): TraefikRoutes {
  const options: TraefikRenderOptions = {
    baseDomain: deps.config.proxy.base_domain,
    entryPoints: deps.config.proxy.entry_points,
    certResolver: deps.config.proxy.cert_resolver,
  };
  // Cached as bytes: the body is encoded once per render, not once per poll.
  const cache = new RenderCache<Buffer>({
    ttlMs: PROXY_CONFIG_TTL_MS,
    ...(deps.now ? { now: deps.now } : {}),
    load: async () =>
      Buffer.from(
        serializeRoutes(renderProxyRoutes(await loadProxySnapshot(deps.db), options), options),
        "utf8",
      ),
  });

  const register = (app: FastifyInstance): void => {
    app.get("/v1/traefik/proxy-config", async (request, reply) => {
      const token = extractBearer(request.headers.authorization);
      if (token === "" || !constantTimeEqual(token, deps.config.proxy.token)) throw new UnauthorizedError();
      return sendConfig(reply, await cache.get());
    });

    app.get("/v1/traefik/config", async (request, reply) => {
      const worker = await deps.auth.resolveWorker(extractBearer(request.headers.authorization));
      if (!worker) throw new UnauthorizedError();
      const apps = await loadWorkerSnapshot(deps.db, deps.secretBox, worker.id, request.log);
      return sendConfig(reply, serializeRoutes(renderWorkerRoutes(apps, options), options));
    });
  };

  return { register, invalidate: () => cache.invalidate(), proxyConfigBody: () => cache.get() };
}

/** createTraefikRoutes, registered on `app`; keep the result to call invalidate(). */
export function registerTraefikRoutes(app: FastifyInstance, deps: TraefikRoutesDeps): TraefikRoutes {
  const routes = createTraefikRoutes(deps);
  routes.register(app);
  return routes;
}

function sendConfig(reply: FastifyReply, body: string | Buffer): FastifyReply {
  return reply
    .status(200)
    .header("content-type", "application/json; charset=utf-8")
    .header("cache-control", "no-store")
    .send(body);
}
