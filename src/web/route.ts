import type { FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";
import type { UserRow } from "../db/users.js";

/**
 * Who may call a route (DESIGN.md 4.13). Every route of the user API declares
 * one; registerUserApi refuses to start when a route has none or an unknown
 * value, so a forgotten declaration fails closed at start-up, not open in
 * production.
 * - anonymous: anyone (sign-up, log-in, the OpenAPI document);
 * - user: a signed-in account (session cookie or API token);
 * - admin: a signed-in account with is_admin.
 */
export const ACCESS_LEVELS = ["anonymous", "user", "admin"] as const;
export type Access = (typeof ACCESS_LEVELS)[number];

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** The caller of a user or admin route, resolved before the handler runs. */
export interface Principal {
  user: UserRow;
  /** The sessions row that authenticated the request (a web session or an API token). */
  sessionId: number;
  via: "cookie" | "token";
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteSchemas {
  params?: z.ZodType;
  querystring?: z.ZodType;
  body?: z.ZodType;
  /** Documented responses by status; the serializer validates and strips what the schema does not name. */
  response?: Record<number, z.ZodType>;
}

export interface RouteContext<S extends RouteSchemas, A extends Access> {
  request: FastifyRequest;
  reply: FastifyReply;
  /** Present on user and admin routes; undefined on anonymous ones (which may still read the optional caller). */
  principal: A extends "anonymous" ? Principal | undefined : Principal;
  params: Out<S["params"]>;
  query: Out<S["querystring"]>;
  /** The parsed JSON body; for `rawBody` routes it is undefined unless the request was JSON. */
  body: Out<S["body"]>;
}

export interface UserRoute<S extends RouteSchemas = RouteSchemas, A extends Access = Access> {
  method: HttpMethod;
  /** Path below /api/v1, with `:name` parameters. */
  url: string;
  access: A;
  summary: string;
  tags: readonly string[];
  schema: S;
  /**
   * Content types accepted besides JSON; the handler reads `request.body` as
   * the raw stream (it enforces its own size limit). Used by archive uploads.
   */
  rawBody?: { contentTypes: readonly string[]; limitBytes: number };
  /** Status on success (default 200; 201 for creations, 204 for no body). */
  status?: number;
  handler(ctx: RouteContext<S, A>): Promise<unknown>;
}

/**
 * Declares one route of the user API. A function rather than a literal so
 * that the handler's context is typed from the schemas and access level.
 */
export function defineRoute<S extends RouteSchemas, A extends Access>(route: UserRoute<S, A>): UserRoute {
  return route;
}

/** `GET /apps/:slug` — how tests and logs name a route. */
export function routeId(route: Pick<UserRoute, "method" | "url">): string {
  return `${route.method} ${route.url}`;
}
