import fastifySwagger from "@fastify/swagger";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { jsonSchemaTransform, serializerCompiler } from "fastify-type-provider-zod";
import { ForbiddenError, UnauthorizedError } from "../errors.js";
import { parseBody } from "../api/validate.js";
import type { SessionAuth } from "./session-auth.js";
import { ACCESS_LEVELS, routeId, type Principal, type UserRoute } from "./route.js";

export const API_PREFIX = "/api/v1";

export interface UserApiOptions {
  sessions: SessionAuth;
  /** Origins besides the request's own Host that count as same-origin (the public URL). */
  trustedOrigins: readonly string[];
  version: string;
}

/** Largest JSON body the user API reads (env vars and rule sets fit easily). */
export const USER_API_JSON_LIMIT = 1024 * 1024;

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Throws when a route does not declare who may call it (DESIGN.md 4.13) or
 * two routes share a method and path: start-up fails rather than serving a
 * route open by omission.
 */
export function assertRouteTable(routes: readonly UserRoute[]): void {
  const seen = new Set<string>();
  for (const r of routes) {
    const id = routeId(r);
    if (!(ACCESS_LEVELS as readonly string[]).includes(r.access)) {
      throw new Error(`route ${id} declares no access (anonymous, user or admin)`);
    }
    if (seen.has(id)) throw new Error(`route ${id} is declared twice`);
    seen.add(id);
  }
}

/**
 * A state-changing request must come from our own pages: an Origin header,
 * when present, must be ours; a cookie-authenticated one must prove its
 * origin (Origin or Sec-Fetch-Site: same-origin), since SameSite=Lax alone
 * does not cover every cross-site path. Bearer-token calls carry no ambient
 * credential and need no proof.
 */
function checkSameOrigin(
  request: FastifyRequest,
  principal: Principal | undefined,
  trusted: readonly string[],
) {
  if (SAFE_METHODS.has(request.method)) return;
  const origin = request.headers.origin;
  const host = request.headers.host;
  if (origin !== undefined) {
    let ok = false;
    try {
      const o = new URL(origin);
      ok = o.host === host || trusted.includes(o.origin);
    } catch {
      ok = false;
    }
    if (!ok) throw new ForbiddenError("cross-origin request refused");
    return;
  }
  if (principal?.via === "cookie" && request.headers["sec-fetch-site"] !== "same-origin") {
    throw new ForbiddenError("cross-origin request refused: send the Origin header");
  }
}

/**
 * Mounts the user API under /api/v1: each route authenticates in onRequest
 * (before a body is read), checks its access level, validates params, query
 * and body with its zod schemas (errors name the field), and serializes its
 * response through the response schema, which drops any field the schema
 * does not name. The OpenAPI document is generated from the same schemas.
 */
export function registerUserApi(
  app: FastifyInstance,
  routes: readonly UserRoute[],
  opts: UserApiOptions,
): void {
  assertRouteTable(routes);
  const principals = new WeakMap<FastifyRequest, Principal>();

  app.register(
    async (api) => {
      // Validation happens in the handler wrapper below (parseBody names the field);
      // fastify only passes the data through.
      api.setValidatorCompiler(() => (data: unknown): { value: unknown } => ({ value: data }));
      api.setSerializerCompiler(serializerCompiler);
      await api.register(fastifySwagger, {
        openapi: {
          openapi: "3.0.3",
          info: { title: "wisehosting API", version: opts.version },
          components: {
            securitySchemes: {
              bearer: { type: "http", scheme: "bearer" },
              session: { type: "apiKey", in: "cookie", name: "wh_session" },
            },
          },
        },
        transform: jsonSchemaTransform,
      });
      const rawTypes = [...new Set(routes.flatMap((r) => r.rawBody?.contentTypes ?? []))];
      if (rawTypes.length > 0) {
        api.addContentTypeParser(rawTypes, (_request, payload, done) => done(null, payload));
      }

      for (const route of routes) {
        api.route({
          method: route.method,
          url: route.url,
          schema: {
            summary: route.summary,
            tags: [...route.tags],
            ...(route.access === "anonymous" ? {} : { security: [{ bearer: [] }, { session: [] }] }),
            ...(route.schema.params ? { params: route.schema.params } : {}),
            ...(route.schema.querystring ? { querystring: route.schema.querystring } : {}),
            ...(route.schema.body && !route.rawBody ? { body: route.schema.body } : {}),
            ...(route.schema.response ? { response: route.schema.response } : {}),
          },
          // JSON bodies up to 1 MiB; raw (streamed) bodies are limited by their handler.
          bodyLimit: USER_API_JSON_LIMIT,
          onRequest: async (request) => {
            const principal = await opts.sessions.resolve(request);
            checkSameOrigin(request, principal, opts.trustedOrigins);
            if (route.access !== "anonymous") {
              if (!principal) throw new UnauthorizedError("sign in or send an API token");
              if (route.access === "admin" && !principal.user.is_admin) {
                throw new ForbiddenError("this needs an administrator");
              }
            }
            if (principal) principals.set(request, principal);
          },
          handler: async (request, reply) => {
            const params = route.schema.params ? parseBody(route.schema.params, request.params) : undefined;
            const query = route.schema.querystring
              ? parseBody(route.schema.querystring, request.query)
              : undefined;
            const isJson = !route.rawBody || (request.headers["content-type"] ?? "").includes("json");
            const body = route.schema.body && isJson ? parseBody(route.schema.body, request.body) : undefined;
            const result = await route.handler({
              request,
              reply,
              principal: principals.get(request),
              params,
              query,
              body,
            });
            if (reply.sent) return reply;
            reply.status(route.status ?? 200);
            return route.status === 204 ? reply.send() : result;
          },
        });
      }
    },
    { prefix: API_PREFIX },
  );
}
