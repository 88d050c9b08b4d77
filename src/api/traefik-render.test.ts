import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HOSTILE_HOSTNAMES } from "../../test/helpers/hostile-hostnames.js";
import { traefikSchemaValidator } from "../../test/helpers/traefik-schema.js";
import { stableStringify } from "./stable-json.js";
import {
  buildHostRule,
  renderProxyConfig,
  renderProxyRoutes,
  renderWorkerConfig,
  renderWorkerRoutes,
  safeRouterName,
  serializeRoutes,
  toDynamicConfig,
  type ProxyAppSnapshot,
  type TraefikDynamicConfig,
  type TraefikRenderOptions,
  type WorkerAppSnapshot,
} from "./traefik-render.js";

const OPTS: TraefikRenderOptions = {
  baseDomain: "apps.example.com",
  entryPoints: ["web", "websecure"],
  certResolver: "letsencrypt",
};

/** A rule made only of Host matchers over [a-z0-9.-] names. */
const SAFE_RULE = /^Host\(`[a-z0-9.-]+`\)( \|\| Host\(`[a-z0-9.-]+`\))*$/;

const validate = traefikSchemaValidator();

function expectSchemaValid(config: TraefikDynamicConfig): void {
  // Skipped (only this assertion) when ../shared/schemas is absent.
  if (validate) expect(validate(config)).toEqual([]);
}

it("checks against the real schema when it is present (it refuses a service without servers)", () => {
  if (!validate) return;
  expect(validate({ http: { services: { x: { loadBalancer: { servers: [] } } } } })).not.toEqual([]);
  expect(validate({ http: { routers: { x: { rule: 1 } } } })).not.toEqual([]);
});

function proxyApp(slug: string, overrides: Partial<ProxyAppSnapshot> = {}): ProxyAppSnapshot {
  return { slug, upstreamIp: "10.8.0.2", hostPort: 20001, domains: [], ...overrides };
}

describe("renderProxyConfig", () => {
  it("renders the example of worker protocol section 6", () => {
    const config = renderProxyConfig([proxyApp("blog", { domains: ["www.example.org"] })], OPTS);
    const spec = {
      http: {
        routers: {
          blog: {
            rule: "Host(`blog.apps.example.com`) || Host(`www.example.org`)",
            service: "blog",
            entryPoints: ["web", "websecure"],
            tls: { certResolver: "letsencrypt" },
          },
        },
        services: { blog: { loadBalancer: { servers: [{ url: "http://10.8.0.2:20001" }] } } },
      },
    };
    expect(config).toEqual(spec);
    expect(stableStringify(config)).toBe(
      '{"http":{"routers":{"blog":{"entryPoints":["web","websecure"],' +
        '"rule":"Host(`blog.apps.example.com`) || Host(`www.example.org`)","service":"blog",' +
        '"tls":{"certResolver":"letsencrypt"}}},' +
        '"services":{"blog":{"loadBalancer":{"servers":[{"url":"http://10.8.0.2:20001"}]}}}}}',
    );
    expectSchemaValid(config);
  });

  it("lists the slug's host first, then custom domains lowercased, sorted and once each", () => {
    const config = renderProxyConfig(
      [proxyApp("shop", { domains: ["Z.example.net", "a.example.net", "www.example.org", "A.example.net"] })],
      OPTS,
    );
    expect(config.http.routers.shop?.rule).toBe(
      "Host(`shop.apps.example.com`) || Host(`a.example.net`) || Host(`www.example.org`) || Host(`z.example.net`)",
    );
  });

  it.each(HOSTILE_HOSTNAMES)("drops a custom domain with %s at render", (_what, hostile) => {
    const config = renderProxyConfig([proxyApp("blog", { domains: [hostile, "ok.example.org"] })], OPTS);
    expect(config.http.routers.blog?.rule).toBe("Host(`blog.apps.example.com`) || Host(`ok.example.org`)");
    expectSchemaValid(config);
  });

  it("drops custom domains that are the base domain or under it", () => {
    const config = renderProxyConfig(
      [proxyApp("blog", { domains: ["other.apps.example.com", "apps.example.com", "blog.example.org"] })],
      OPTS,
    );
    expect(config.http.routers.blog?.rule).toBe("Host(`blog.apps.example.com`) || Host(`blog.example.org`)");
  });

  it("brackets an IPv6 upstream and leaves out apps with a bad address or port", () => {
    const config = renderProxyConfig(
      [
        proxyApp("v6", { upstreamIp: "fd00::2", hostPort: 20002 }),
        proxyApp("bad-ip", { upstreamIp: "10.8.0.2:80" }),
        proxyApp("no-ip", { upstreamIp: "" }),
        proxyApp("zero-port", { hostPort: 0 }),
        proxyApp("big-port", { hostPort: 70000 }),
        proxyApp("frac-port", { hostPort: 20001.5 }),
        proxyApp("zoned", { upstreamIp: "fe80::1%eth0" }),
      ],
      OPTS,
    );
    expect(Object.keys(config.http.services)).toEqual(["v6"]);
    expect(Object.keys(config.http.routers)).toEqual(["v6"]);
    expect(config.http.services.v6?.loadBalancer.servers).toEqual([{ url: "http://[fd00::2]:20002" }]);
    expectSchemaValid(config);
  });

  it("gives a dotted slug no slug host", () => {
    const config = renderProxyConfig(
      [proxyApp("a.b", { domains: ["ab.example.org"] }), proxyApp("c.d")],
      OPTS,
    );
    expect(Object.keys(config.http.routers)).toEqual(["a-b"]);
    expect(config.http.routers["a-b"]?.rule).toBe("Host(`ab.example.org`)");
  });

  it("leaves out an app whose slug is no hostname and that has no valid domain", () => {
    const config = renderProxyConfig(
      [
        proxyApp("bad`slug", { domains: ["bad)domain"] }),
        proxyApp("Bad Slug", { domains: ["ok.example.org"] }),
      ],
      OPTS,
    );
    // "Bad Slug" is named safely and routed by its one valid custom domain only.
    expect(config.http.routers).toEqual({
      "Bad-Slug": {
        entryPoints: ["web", "websecure"],
        rule: "Host(`ok.example.org`)",
        service: "Bad-Slug",
        tls: { certResolver: "letsencrypt" },
      },
    });
    expect(Object.keys(config.http.services)).toEqual(["Bad-Slug"]);
  });

  it("keeps the first of two apps whose safe names collide", () => {
    const config = renderProxyConfig(
      [proxyApp("a.b", { hostPort: 20002 }), proxyApp("a-b", { hostPort: 20001 })],
      OPTS,
    );
    expect(Object.keys(config.http.routers)).toEqual(["a-b"]);
    expect(config.http.services["a-b"]?.loadBalancer.servers[0]?.url).toBe("http://10.8.0.2:20001");
  });

  it("renders an empty configuration Traefik accepts", () => {
    const config = renderProxyConfig([], OPTS);
    expect(stableStringify(config)).toBe('{"http":{"routers":{},"services":{}}}');
    expectSchemaValid(config);
  });

  it("takes entry points and cert resolver from the options", () => {
    const config = renderProxyConfig([proxyApp("blog")], {
      ...OPTS,
      entryPoints: ["https"],
      certResolver: "le-dns",
    });
    expect(config.http.routers.blog).toMatchObject({
      entryPoints: ["https"],
      tls: { certResolver: "le-dns" },
    });
  });

  it("gives the same bytes for the same apps in any order, with keys sorted at every depth", () => {
    const apps = [
      proxyApp("9", { hostPort: 20009 }),
      proxyApp("123", { hostPort: 20123, domains: ["b.example.org", "a.example.org"] }),
      proxyApp("abc", { upstreamIp: "10.8.0.3", domains: ["www.abc.example"] }),
      proxyApp("ab", { upstreamIp: "fd00::7" }),
      proxyApp("z-last", { hostPort: 29999 }),
    ];
    const expected = stableStringify(renderProxyConfig(apps, OPTS));
    // Lexicographic, not JavaScript's "array index keys first" (which JSON.parse would restore).
    const routerKeys = [
      ...expected.slice(0, expected.indexOf('"services"')).matchAll(/"([^"]+)":\{"entryPoints"/g),
    ];
    expect(routerKeys.map((m) => m[1])).toEqual(["123", "9", "ab", "abc", "z-last"]);
    fc.assert(
      fc.property(fc.shuffledSubarray(apps, { minLength: apps.length }), (shuffled) => {
        const reordered = shuffled.map((a) => ({ ...a, domains: [...a.domains].reverse() }));
        expect(stableStringify(renderProxyConfig(reordered, OPTS))).toBe(expected);
      }),
    );
  });

  it("never lets anything but a safe rule through, whatever the domains", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string(), fc.domain(), fc.constantFrom(...HOSTILE_HOSTNAMES.map((h) => h[1])))),
        (domains) => {
          const config = renderProxyConfig([proxyApp("blog", { domains })], OPTS);
          expect(config.http.routers.blog?.rule).toMatch(SAFE_RULE);
        },
      ),
    );
  });
});

describe("renderWorkerConfig", () => {
  const workerApp = (slug: string, overrides: Partial<WorkerAppSnapshot> = {}): WorkerAppSnapshot => ({
    slug,
    internalPort: 8080,
    domains: [],
    ...overrides,
  });

  it("names only custom domains and targets the container by slug and internal port", () => {
    const config = renderWorkerConfig(
      [workerApp("blog", { internalPort: 3000, domains: ["www.example.org", "example.org"] })],
      OPTS,
    );
    expect(config).toEqual({
      http: {
        routers: {
          blog: {
            entryPoints: ["web", "websecure"],
            rule: "Host(`example.org`) || Host(`www.example.org`)",
            service: "blog",
            tls: { certResolver: "letsencrypt" },
          },
        },
        services: { blog: { loadBalancer: { servers: [{ url: "http://blog:3000" }] } } },
      },
    });
    expectSchemaValid(config);
  });

  it("leaves out apps with no valid custom domain, a bad port, or a slug that is no label", () => {
    const config = renderWorkerConfig(
      [
        workerApp("none"),
        workerApp("hostile", { domains: HOSTILE_HOSTNAMES.map((h) => h[1]) }),
        workerApp("base", { domains: ["base.apps.example.com"] }),
        workerApp("port", { internalPort: 0, domains: ["port.example.org"] }),
        workerApp("a.b", { domains: ["ab.example.org"] }),
        workerApp("ok", { domains: ["ok.example.org"] }),
      ],
      OPTS,
    );
    expect(Object.keys(config.http.routers)).toEqual(["ok"]);
    expect(Object.keys(config.http.services)).toEqual(["ok"]);
  });
});

describe("serializeRoutes", () => {
  const arbitraryProxyApp = fc.record({
    slug: fc.oneof(fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/), fc.string({ maxLength: 6 })),
    upstreamIp: fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 4 })),
    hostPort: fc.integer({ min: -1, max: 70000 }),
    domains: fc.array(fc.oneof(fc.domain(), fc.string({ maxLength: 8 })), { maxLength: 3 }),
  });

  it("writes exactly stableStringify(toDynamicConfig(routes)), for the proxy and worker routes", () => {
    fc.assert(
      fc.property(fc.array(arbitraryProxyApp, { maxLength: 12 }), (apps) => {
        const proxy = renderProxyRoutes(apps, OPTS);
        expect(serializeRoutes(proxy, OPTS)).toBe(stableStringify(toDynamicConfig(proxy, OPTS)));
        const worker = renderWorkerRoutes(
          apps.map((a) => ({ slug: a.slug, internalPort: a.hostPort, domains: a.domains })),
          OPTS,
        );
        expect(serializeRoutes(worker, OPTS)).toBe(stableStringify(toDynamicConfig(worker, OPTS)));
      }),
    );
  });

  it("returns routes sorted by name, each name once", () => {
    const routes = renderProxyRoutes([proxyApp("b"), proxyApp("a"), proxyApp("10"), proxyApp("9")], OPTS);
    expect(routes.map((r) => r.name)).toEqual(["10", "9", "a", "b"]);
  });
});

describe("buildHostRule", () => {
  it("joins valid hosts in the order given, once each, and drops the rest", () => {
    expect(buildHostRule(["b.example.com", "A.example.com", "b.example.com", "x`y.com", "localhost"])).toBe(
      "Host(`b.example.com`) || Host(`a.example.com`) || Host(`localhost`)",
    );
    expect(buildHostRule([])).toBe("");
    expect(buildHostRule(["evil`) || Host(`x"])).toBe("");
  });
});

describe("safeRouterName", () => {
  it.each([
    ["blog", "blog"],
    ["my-app-2", "my-app-2"],
    ["a.b@file", "a-b-file"],
    ["__proto__", "--proto--"],
    ["caf\u00e9\u{1F600}", "caf--"],
    ["", ""],
  ])("%j becomes %j", (input, expected) => {
    expect(safeRouterName(input)).toBe(expected);
  });

  it("caps the length at 128", () => {
    expect(safeRouterName("a".repeat(300))).toHaveLength(128);
  });
});
