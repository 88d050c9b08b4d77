import { readFileSync } from "node:fs";
import Fastify, { LogController, type FastifyInstance } from "fastify";
import type { Config } from "../config/schema.js";
import type { Database } from "../db/database.js";
import type { Logger } from "../log.js";
import { registerHealthRoute } from "./health.js";
import { installErrorHandler } from "./http-errors.js";

/** Bodies on the worker API are small; larger ones get 413 (spec section 2). */
export const WORKER_API_BODY_LIMIT = 64 * 1024;

export interface ServerDeps {
  config: Pick<Config, "server">;
  db: Database;
  log: Logger;
  now: () => Date;
}

/** Paths too frequent to log per request (the reference skips the same). */
const QUIET_PATHS = new Set(["/health", "/v1/workers/ws", "/v1/traefik/proxy-config", "/v1/traefik/config"]);

/**
 * Builds the HTTP application: error mapping, request logging, /health. The
 * worker API, Traefik and user routes register onto the returned instance;
 * listening is HttpListener's job.
 */
export function createServer(deps: ServerDeps): FastifyInstance {
  const { tls_cert, tls_key } = deps.config.server;
  const app = Fastify({
    loggerInstance: deps.log,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: WORKER_API_BODY_LIMIT,
    trustProxy: false,
    return503OnClosing: true,
    forceCloseConnections: true,
    ...(tls_cert && tls_key
      ? {
          https: {
            cert: readFileSync(tls_cert),
            key: readFileSync(tls_key),
            minVersion: "TLSv1.3" as const,
          },
        }
      : {}),
  }) as unknown as FastifyInstance;
  installErrorHandler(app);
  app.addHook("onResponse", (request, reply, done) => {
    const url = request.url.split("?")[0] ?? "";
    if (!QUIET_PATHS.has(url)) {
      request.log.info(
        { method: request.method, url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
        "request",
      );
    }
    done();
  });
  registerHealthRoute(app, { db: deps.db, now: deps.now });
  return app;
}
