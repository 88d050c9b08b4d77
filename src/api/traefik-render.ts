import { isIP } from "node:net";
import { isWithinDomain, validateHostname } from "./hostname.js";

/**
 * Pure rendering of Traefik's dynamic configuration (worker protocol §6) from
 * a snapshot of routable apps. No I/O, no clock: the same snapshot, in any
 * order, gives equal routes, and serializeRoutes gives equal bytes.
 *
 * Rendering has two steps. renderProxyRoutes / renderWorkerRoutes reduce the
 * snapshot to routes, one per app: a name, a Host rule and one upstream URL,
 * sorted by name. From those, serializeRoutes writes the response body and
 * toDynamicConfig builds the equivalent object (renderProxyConfig and
 * renderWorkerConfig do both steps). The body is written from the routes,
 * not from the object: at 10,000 apps, building an object keyed by fresh
 * names with eight small objects per app cost more than the rest of the
 * render, and the body needs none of it. The tests hold the two views to the
 * same bytes.
 *
 * Guarantees of the output, whatever the snapshot holds:
 * - router and service are both named safeRouterName(slug); apps are taken
 *   in ascending code-unit order of that name, and a later app whose name
 *   collides with an earlier one is dropped;
 * - a rule names only hostnames that pass validateHostname, lowercased, each
 *   once: the slug's host first (proxy only), then the custom domains in
 *   ascending code-unit order; custom domains that are the base domain or
 *   under it are dropped (they belong to the slug hosts);
 * - the slug's host is `<slug>.<base domain>`, only for a slug that is one
 *   DNS label;
 * - an app left with no hostname, an invalid upstream address (an IPv6
 *   zone included) or a port outside 1..65535 is left out entirely, never
 *   rendered half-way.
 */

export interface TraefikRouter {
  entryPoints: string[];
  rule: string;
  service: string;
  tls: { certResolver: string };
}

export interface TraefikService {
  loadBalancer: { servers: Array<{ url: string }> };
}

export interface TraefikDynamicConfig {
  http: {
    routers: Record<string, TraefikRouter>;
    services: Record<string, TraefikService>;
  };
}

export interface TraefikRenderOptions {
  /** `proxy.base_domain`: every app answers on `<slug>.<base_domain>`. */
  baseDomain: string;
  /** `proxy.entry_points`, in the order configured. */
  entryPoints: readonly string[];
  /** `proxy.cert_resolver`. */
  certResolver: string;
}

/** An app as the proxy endpoint routes it: over WireGuard to its host port. */
export interface ProxyAppSnapshot {
  slug: string;
  /** The worker's WireGuard address (IPv4 or IPv6). */
  upstreamIp: string;
  hostPort: number;
  /** Verified custom domains only; the renderer does not know about verification. */
  domains: readonly string[];
}

/** An app as a worker-local Traefik routes it: by container name on the app network. */
export interface WorkerAppSnapshot {
  slug: string;
  internalPort: number;
  /** Verified custom domains only. */
  domains: readonly string[];
}

/** What one app renders to: router and service share `name`. */
export interface RenderedRoute {
  name: string;
  /** The router's rule, from buildHostRule; never empty. */
  rule: string;
  /** The service's one server. */
  url: string;
}

/** What every router shares: `entryPoints` and the TLS cert resolver. */
export type RouterOptions = Pick<TraefikRenderOptions, "entryPoints" | "certResolver">;

/** Routes for `GET /v1/traefik/proxy-config`: every app, slug host plus custom domains. */
export function renderProxyRoutes(
  apps: readonly ProxyAppSnapshot[],
  opts: TraefikRenderOptions,
): RenderedRoute[] {
  return renderRoutes(apps, (app) => {
    const port = validPort(app.hostPort);
    const ip = isIP(app.upstreamIp);
    if (port === undefined || ip === 0 || app.upstreamIp.includes("%")) return undefined;
    const host = ip === 6 ? `[${app.upstreamIp}]` : app.upstreamIp;
    const hosts = customHosts(app.domains, opts.baseDomain);
    const slugHost = app.slug.includes(".") ? undefined : validateHostname(`${app.slug}.${opts.baseDomain}`);
    if (slugHost?.ok) hosts.unshift(slugHost.hostname);
    return { hosts, url: `http://${host}:${port}` };
  });
}

/** Routes for `GET /v1/traefik/config`: the worker's apps, custom domains only. */
export function renderWorkerRoutes(
  apps: readonly WorkerAppSnapshot[],
  opts: TraefikRenderOptions,
): RenderedRoute[] {
  return renderRoutes(apps, (app) => {
    const port = validPort(app.internalPort);
    // The slug is the container's name on the app network: one DNS label.
    const target = validateHostname(app.slug, { minLabels: 1 });
    if (port === undefined || !target.ok || target.hostname.includes(".")) return undefined;
    return { hosts: customHosts(app.domains, opts.baseDomain), url: `http://${target.hostname}:${port}` };
  });
}

/**
 * The configuration object of `routes`. Keys are inserted in ascending
 * order, but JavaScript lists integer-like keys (a slug "123") first
 * whatever the order; for bytes use serializeRoutes or stableStringify.
 */
export function toDynamicConfig(routes: readonly RenderedRoute[], opts: RouterOptions): TraefikDynamicConfig {
  const routers: Record<string, TraefikRouter> = {};
  const services: Record<string, TraefikService> = {};
  for (const r of routes) {
    routers[r.name] = {
      entryPoints: [...opts.entryPoints],
      rule: r.rule,
      service: r.name,
      tls: { certResolver: opts.certResolver },
    };
    services[r.name] = { loadBalancer: { servers: [{ url: r.url }] } };
  }
  return { http: { routers, services } };
}

/**
 * The response body for `routes`: byte for byte
 * stableStringify(toDynamicConfig(routes, opts)), written directly. Needs
 * `routes` as the render functions return them (names unique, ascending in
 * code-unit order); the literal keys below are in ascending order.
 */
export function serializeRoutes(routes: readonly RenderedRoute[], opts: RouterOptions): string {
  const entryPoints = JSON.stringify(opts.entryPoints);
  const tls = JSON.stringify({ certResolver: opts.certResolver });
  let routers = "";
  let services = "";
  for (let i = 0; i < routes.length; i++) {
    const r = routes[i] as RenderedRoute;
    const comma = i === 0 ? "" : ",";
    const name = JSON.stringify(r.name);
    routers += `${comma}${name}:{"entryPoints":${entryPoints},"rule":${JSON.stringify(r.rule)},"service":${name},"tls":${tls}}`;
    services += `${comma}${name}:{"loadBalancer":{"servers":[{"url":${JSON.stringify(r.url)}}]}}`;
  }
  return `{"http":{"routers":{${routers}},"services":{${services}}}}`;
}

/** toDynamicConfig(renderProxyRoutes(apps, opts), opts). */
export function renderProxyConfig(
  apps: readonly ProxyAppSnapshot[],
  opts: TraefikRenderOptions,
): TraefikDynamicConfig {
  return toDynamicConfig(renderProxyRoutes(apps, opts), opts);
}

/** toDynamicConfig(renderWorkerRoutes(apps, opts), opts). */
export function renderWorkerConfig(
  apps: readonly WorkerAppSnapshot[],
  opts: TraefikRenderOptions,
): TraefikDynamicConfig {
  return toDynamicConfig(renderWorkerRoutes(apps, opts), opts);
}

/**
 * `Host(\`a\`) || Host(\`b\`)` over `hosts` in the order given, each once.
 * Every host is validated again here (any number of labels), and one that
 * fails is left out, so no backtick, parenthesis, space or control
 * character can reach a rule. "" when no host is left.
 */
export function buildHostRule(hosts: readonly string[]): string {
  const accepted: string[] = [];
  for (const raw of hosts) {
    const check = validateHostname(raw, { minLabels: 1 });
    if (check.ok && !accepted.includes(check.hostname)) accepted.push(check.hostname);
  }
  let rule = "";
  for (const host of accepted) rule += `${rule === "" ? "" : " || "}Host(\`${host}\`)`;
  return rule;
}

/**
 * A router/service name made of `[A-Za-z0-9-]` only (each other code point
 * becomes `-`), at most 128 characters. App slugs already satisfy it and come
 * out unchanged; "" only for an empty name. No underscore, so no name can be
 * `__proto__` and every name is an ordinary own key of the output objects.
 */
export function safeRouterName(name: string): string {
  return name.replace(/[^A-Za-z0-9-]/gu, "-").slice(0, 128);
}

interface Target {
  hosts: string[];
  url: string;
}

function renderRoutes<A extends { slug: string }>(
  apps: readonly A[],
  targetOf: (app: A) => Target | undefined,
): RenderedRoute[] {
  const named = apps
    .map((app) => ({ app, name: safeRouterName(app.slug) }))
    .sort((a, b) => compare(a.name, b.name) || compare(a.app.slug, b.app.slug));
  const routes: RenderedRoute[] = [];
  let previous: string | undefined;
  for (const { app, name } of named) {
    // Sorted, so a collision is always with the name just before.
    if (name === "" || name === previous) continue;
    previous = name;
    const target = targetOf(app);
    if (!target) continue;
    const rule = buildHostRule(target.hosts);
    if (rule !== "") routes.push({ name, rule, url: target.url });
  }
  return routes;
}

/** Valid, lowercased custom domains outside the base domain, sorted and unique. */
function customHosts(domains: readonly string[], baseDomain: string): string[] {
  const out: string[] = [];
  for (const d of domains) {
    const check = validateHostname(d);
    if (check.ok && !isWithinDomain(check.hostname, baseDomain)) out.push(check.hostname);
  }
  // buildHostRule drops the duplicates, keeping the order.
  return out.length > 1 ? out.sort(compare) : out;
}

function validPort(port: number): number | undefined {
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? port : undefined;
}

/** Code-unit order: the same on every machine, unlike localeCompare. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
