import { existsSync } from "node:fs";
import path from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";
import { NotFoundError } from "../errors.js";
import { PACKAGE_ROOT } from "../package-root.js";

/** Where `npm run build` puts the dashboard (vite, dashboard/vite.config.ts). */
export const DEFAULT_DASHBOARD_DIR = PACKAGE_ROOT ? path.join(PACKAGE_ROOT, "dist", "dashboard") : undefined;

/**
 * Paths that never fall back to the dashboard: the APIs answer their own
 * JSON 404, and a missing asset is a 404 (a tab still open on an older
 * build must get an error for a renamed chunk, not a page of HTML).
 */
const NO_FALLBACK = /^\/(api|v1|health|assets)(\/|$)/;

/**
 * Serves the built dashboard at `/`: hashed files under /assets/ are cached
 * for a year (immutable); index.html is revalidated on every load; any other
 * GET that is not an API path gets index.html (the SPA routes it). Without a
 * build the fallback answers 503 naming the command that builds it, so a
 * missing dashboard is never a blank page.
 */
export function registerDashboard(
  app: FastifyInstance,
  dir: string | undefined = DEFAULT_DASHBOARD_DIR,
): void {
  const built = dir !== undefined && existsSync(path.join(dir, "index.html"));
  if (built) {
    void app.register(fastifyStatic, {
      root: dir,
      prefix: "/",
      wildcard: false,
      index: false,
      setHeaders: (reply, filePath) => {
        const immutable = filePath.startsWith(path.join(dir, "assets") + path.sep);
        reply.header("cache-control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
      },
    });
  }
  // `/*` matches `/` too.
  app.get("/*", (request, reply) => {
    const url = request.url.split("?")[0] ?? "/";
    if (NO_FALLBACK.test(url)) throw new NotFoundError("no such route");
    if (!built) {
      return reply
        .status(503)
        .type("text/plain; charset=utf-8")
        .send("The dashboard is not built: run `npm run build` (npm ci and npm start do it).\n");
    }
    return reply.header("cache-control", "no-cache").sendFile("index.html");
  });
}
