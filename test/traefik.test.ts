import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import type { Kysely, KyselyPlugin } from "kysely";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { appEnvAad } from "../src/api/job-message.js";
import { createServer } from "../src/api/server.js";
import { registerTraefikRoutes, type TraefikRoutes } from "../src/api/traefik.js";
import { WorkerAuth } from "../src/api/worker-auth.js";
import { WorkerJwt } from "../src/api/worker-jwt.js";
import { loadConfig } from "../src/config/load.js";
import type { Config } from "../src/config/schema.js";
import { SecretBox } from "../src/crypto/aes.js";
import { hashApiKey } from "../src/crypto/api-key.js";
import type { AppStatus, DB } from "../src/db/schema.js";
import { createLogger } from "../src/log.js";
import { hex64, makeUser, pgError } from "./helpers/db-fixtures.js";
import { expectGolden } from "./helpers/golden.js";
import { HOSTILE_HOSTNAMES } from "./helpers/hostile-hostnames.js";
import { createTestDatabase, type TestDatabase } from "./helpers/test-db.js";
import { traefikSchemaValidator } from "./helpers/traefik-schema.js";

const SECRET = "traefik-test-master-secret-0123456789";
const PROXY_TOKEN = "traefik-test-proxy-token-0123456789abcdef";

/** Worker API keys, fixed so that a re-seeded state is the same state. */
const KEYS = { w1: hex64("key-1"), w2: hex64("key-2"), w3: hex64("key-3") };
type WorkerKey = keyof typeof KEYS;
const WIREGUARD: Record<WorkerKey, string | null> = { w1: "10.8.0.2", w2: "fd00::3", w3: null };

interface AppSpec {
  slug: string;
  worker: WorkerKey;
  status: AppStatus;
  hostPort: number;
  /** The current deployment's env; none means no PORT (8080). */
  env?: Record<string, string>;
  /** false: the app has no current deployment. */
  deployed?: boolean;
  domains?: Array<[hostname: string, verified: boolean]>;
}

/**
 * The state behind both golden files. What must never appear: the stopped and
 * the deploying apps, the app without a current deployment, the app on w3
 * (no WireGuard address) in the proxy config, and every unverified domain.
 */
const APPS: readonly AppSpec[] = [
  {
    slug: "blog",
    worker: "w1",
    status: "running",
    hostPort: 20001,
    env: { PORT: "3000", OTHER: "x" },
    domains: [
      ["www.example.org", true],
      ["example.org", true],
      ["pending.example.org", false],
    ],
  },
  { slug: "shop", worker: "w2", status: "running", hostPort: 20002 },
  { slug: "api", worker: "w1", status: "running", hostPort: 20003, domains: [["api.example.net", true]] },
  { slug: "123", worker: "w2", status: "running", hostPort: 20004, env: { PORT: "not-a-port" } },
  {
    slug: "unverified",
    worker: "w1",
    status: "running",
    hostPort: 20005,
    domains: [["u.example.com", false]],
  },
  {
    slug: "stopped-app",
    worker: "w1",
    status: "stopped",
    hostPort: 20006,
    domains: [["stopped.example.org", true]],
  },
  { slug: "deploying-app", worker: "w1", status: "deploying", hostPort: 20007 },
  { slug: "undeployed", worker: "w1", status: "running", hostPort: 20008, deployed: false },
  {
    slug: "no-wireguard",
    worker: "w3",
    status: "running",
    hostPort: 20009,
    domains: [["nowg.example.org", true]],
  },
];

let t: TestDatabase;
let db: Kysely<DB>;
let config: Config;
let app: FastifyInstance;
let routes: TraefikRoutes;
let baseUrl: string;
let clock = 0;
let statements = 0;
const box = new SecretBox(SECRET);
const jwt = new WorkerJwt({ masterSecret: SECRET });
const workerIds = new Map<WorkerKey, number>();
const validate = traefikSchemaValidator();

const counting: KyselyPlugin = {
  transformQuery: (args) => {
    statements += 1;
    return args.node;
  },
  transformResult: (args) => Promise.resolve(args.result),
};

beforeAll(async () => {
  t = await createTestDatabase();
  db = t.db.kysely;
  config = await loadConfig({
    env: {
      WISEHOSTING_DATA_DIR: await mkdtemp(path.join(tmpdir(), "wh-traefik-")),
      WISEHOSTING_SECRET: SECRET,
      WISEHOSTING_PROXY_TOKEN: PROXY_TOKEN,
      WISEHOSTING_BASE_DOMAIN: "Apps.Example.COM",
    },
  });
  const log = createLogger("silent");
  const counted = db.withPlugin(counting);
  const auth = new WorkerAuth({ db: counted, jwt, secretBox: box, masterSecret: SECRET });
  app = createServer({ config, db: t.db, log, now: () => new Date() });
  routes = registerTraefikRoutes(app, { db: counted, auth, config, secretBox: box, now: () => clock });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  baseUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  await seed("forward");
});

afterAll(async () => {
  await app?.close();
  await t?.dispose();
});

beforeEach(() => {
  routes.invalidate();
});

/** Inserts the state of APPS, with every list taken forwards or backwards. */
async function seed(order: "forward" | "reverse"): Promise<void> {
  const inOrder = <T>(items: readonly T[]): T[] => (order === "forward" ? [...items] : [...items].reverse());
  const user = await makeUser(db);
  for (const key of inOrder(Object.keys(KEYS) as WorkerKey[])) {
    const row = await db
      .insertInto("workers")
      .values({
        name: `traefik-${key}`,
        api_key_hash: hashApiKey(KEYS[key]),
        envelope_key_enc: "unused",
        wireguard_ip: WIREGUARD[key],
        status: "online",
        cpu_millicores: 4000,
        memory_mb: 8192,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    workerIds.set(key, row.id);
  }
  for (const spec of inOrder(APPS)) {
    const workerId = workerIds.get(spec.worker)!;
    const appRow = await db
      .insertInto("apps")
      .values({
        user_id: user.id,
        name: spec.slug,
        slug: spec.slug,
        status: spec.status,
        cpu_millicores: 100,
        memory_mb: 64,
        worker_id: workerId,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    if (spec.deployed !== false) {
      const env = spec.env ? box.seal(JSON.stringify(spec.env), appEnvAad(appRow.id)) : null;
      const deployment = await db
        .insertInto("deployments")
        .values({
          app_id: appRow.id,
          status: "running",
          source_kind: "image",
          image: "localhost/app:1",
          env_enc: env,
          cpu_millicores: 100,
          memory_mb: 64,
          worker_id: workerId,
          host_port: spec.hostPort,
          reserved: true,
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      await db
        .updateTable("apps")
        .set({ current_deployment_id: deployment.id })
        .where("id", "=", appRow.id)
        .execute();
    }
    for (const [hostname, verified] of inOrder(spec.domains ?? [])) {
      await db
        .insertInto("custom_domains")
        .values({
          app_id: appRow.id,
          hostname,
          verification_token: "token",
          verified_at: verified ? new Date("2030-01-01T00:00:00Z") : null,
        })
        .execute();
    }
  }
}

async function wipe(): Promise<void> {
  await db.deleteFrom("apps").execute();
  await db.deleteFrom("workers").where("name", "like", "traefik-%").execute();
}

async function get(route: string, bearer?: string) {
  const res = await fetch(`${baseUrl}${route}`, {
    headers: bearer === undefined ? {} : { authorization: `Bearer ${bearer}` },
  });
  return { status: res.status, type: res.headers.get("content-type"), body: await res.text() };
}

const proxyConfig = () => get("/v1/traefik/proxy-config", PROXY_TOKEN);

function expectSchemaValid(body: string): void {
  // Skipped (only this assertion) when ../shared/schemas is absent.
  if (validate) expect(validate(JSON.parse(body))).toEqual([]);
}

describe("GET /v1/traefik/proxy-config", () => {
  it("matches the golden file and the Traefik v3 schema", async () => {
    const res = await proxyConfig();
    expect(res.status).toBe(200);
    expect(res.type).toBe("application/json; charset=utf-8");
    await expectGolden("traefik-proxy-config.json.golden", res.body);
    expectSchemaValid(res.body);
  });

  it("never lists stopped, deploying or undeployed apps, apps without WireGuard, or unverified domains", async () => {
    const { body } = await proxyConfig();
    for (const absent of [
      "stopped",
      "deploying",
      "undeployed",
      "no-wireguard",
      "nowg",
      "pending.",
      "u.example",
    ]) {
      expect(body).not.toContain(absent);
    }
  });

  it("gives the same bytes for the same state inserted in a different order", async () => {
    const before = (await proxyConfig()).body;
    const worker = (await get("/v1/traefik/config", KEYS.w1)).body;
    try {
      await wipe();
      await seed("reverse");
      routes.invalidate();
      expect((await proxyConfig()).body).toBe(before);
      expect((await get("/v1/traefik/config", KEYS.w1)).body).toBe(worker);
    } finally {
      await wipe();
      await seed("forward");
    }
  });

  it.each([
    ["no Authorization header", undefined],
    ["an empty bearer", ""],
    ["a wrong token", "traefik-test-proxy-token-0123456789abcdeX"],
    ["a prefix of the token", PROXY_TOKEN.slice(0, -1)],
    ["the token with a suffix", `${PROXY_TOKEN}x`],
    ["the master secret", SECRET],
    ["a worker's API key", KEYS.w1],
  ])("answers 401 to %s", async (_what, bearer) => {
    const res = await get("/v1/traefik/proxy-config", bearer);
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: "unauthorized" } });
  });

  it("takes a Basic or otherwise malformed header as no token", async () => {
    const res = await fetch(`${baseUrl}/v1/traefik/proxy-config`, {
      headers: { authorization: `Basic ${PROXY_TOKEN}` },
    });
    expect(res.status).toBe(401);
  });

  it("renders with two statements however many apps there are", async () => {
    statements = 0;
    await proxyConfig();
    expect(statements).toBe(2);
  });

  it("serves the cached bytes for 5 s, then renders again", async () => {
    const first = (await proxyConfig()).body;
    await db.updateTable("apps").set({ status: "stopped" }).where("slug", "=", "shop").execute();
    try {
      statements = 0;
      clock += 4999;
      expect((await proxyConfig()).body).toBe(first);
      expect(statements).toBe(0);
      clock += 1;
      const after = (await proxyConfig()).body;
      expect(after).not.toContain('"shop"');
      expect(statements).toBe(2);
    } finally {
      await db.updateTable("apps").set({ status: "running" }).where("slug", "=", "shop").execute();
    }
  });

  it("renders again at once after invalidate()", async () => {
    const first = (await proxyConfig()).body;
    await db.updateTable("apps").set({ status: "stopped" }).where("slug", "=", "api").execute();
    try {
      expect((await proxyConfig()).body).toBe(first);
      routes.invalidate();
      expect((await proxyConfig()).body).not.toContain('"api"');
    } finally {
      await db.updateTable("apps").set({ status: "running" }).where("slug", "=", "api").execute();
    }
  });
});

describe("GET /v1/traefik/config", () => {
  it("matches the golden file for a worker using its raw API key, and the schema", async () => {
    const res = await get("/v1/traefik/config", KEYS.w1);
    expect(res.status).toBe(200);
    expect(res.type).toBe("application/json; charset=utf-8");
    await expectGolden("traefik-worker-config.json.golden", res.body);
    expectSchemaValid(res.body);
  });

  it("answers the same to the worker's JWT", async () => {
    const workerId = workerIds.get("w1")!;
    const { token } = await jwt.sign(workerId, hashApiKey(KEYS.w1));
    expect((await get("/v1/traefik/config", token)).body).toBe(
      (await get("/v1/traefik/config", KEYS.w1)).body,
    );
  });

  it("lists only the calling worker's apps with a verified domain", async () => {
    const w2 = await get("/v1/traefik/config", KEYS.w2);
    expect(w2.body).toBe('{"http":{"routers":{},"services":{}}}');
    // The per-worker endpoint needs no WireGuard address: the worker's own Traefik reaches its containers.
    const w3 = JSON.parse((await get("/v1/traefik/config", KEYS.w3)).body) as {
      http: { routers: Record<string, { rule: string }> };
    };
    expect(Object.keys(w3.http.routers)).toEqual(["no-wireguard"]);
    expect(w3.http.routers["no-wireguard"]?.rule).toBe("Host(`nowg.example.org`)");
  });

  it("uses a bounded number of statements: auth, apps, domains", async () => {
    statements = 0;
    await get("/v1/traefik/config", KEYS.w1);
    expect(statements).toBe(3);
  });

  it.each([
    ["no Authorization header", undefined],
    ["an unknown API key", hex64("nobody")],
    ["the proxy token", PROXY_TOKEN],
    ["the master secret", SECRET],
    ["a malformed JWT", "a.b.c"],
  ])("answers 401 to %s", async (_what, bearer) => {
    const res = await get("/v1/traefik/config", bearer);
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: "unauthorized" } });
  });

  it("refuses a JWT minted for a key the worker no longer has", async () => {
    const { token } = await jwt.sign(workerIds.get("w1")!, hex64("old-key"));
    expect((await get("/v1/traefik/config", token)).status).toBe(401);
  });
});

describe("hostile custom domains", () => {
  it.each(HOSTILE_HOSTNAMES.filter(([what]) => /backtick|space|parenthesis|newline|unicode|300/.test(what)))(
    "the database refuses one with %s as well",
    async (_what, hostname) => {
      const blog = await db
        .selectFrom("apps")
        .select("id")
        .where("slug", "=", "blog")
        .executeTakeFirstOrThrow();
      const err = await pgError(
        db
          .insertInto("custom_domains")
          .values({ app_id: blog.id, hostname, verification_token: "t" })
          .execute(),
      );
      expect(err.code).toBe("23514");
    },
  );
});
