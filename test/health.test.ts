import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../src/main.js";
import { createPostgresDatabase, dropPostgresDatabase, testEngine } from "./helpers/test-db.js";

const SECRET = "0123456789abcdef0123456789abcdef-health";
let server: RunningServer | undefined;
let logs = "";
const sink = new Writable({
  write(chunk: Buffer, _enc, cb) {
    logs += chunk.toString();
    cb();
  },
});

afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function start(databaseUrl?: string): Promise<RunningServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "wh-health-"));
  server = await startServer({
    env: {
      WISEHOSTING_DATA_DIR: dataDir,
      WISEHOSTING_LISTEN: "127.0.0.1:0",
      WISEHOSTING_SECRET: SECRET,
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    },
    logDestination: sink,
  });
  return server;
}

async function getHealth(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/health`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("GET /health", () => {
  it("is 200 while the database answers, and the log never holds a secret", async () => {
    const s = await start();
    const h = await getHealth(s.url);
    expect(h).toMatchObject({ status: 200, body: { status: "ok" } });
    // An unknown API path (other paths are the dashboard's): 404 JSON, logged without the header.
    const res = await fetch(`${s.url}/v1/nope`, { headers: { authorization: `Bearer ${SECRET}` } });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: "not_found", message: "no such route" } });
    expect(logs).toContain('"url":"/v1/nope"');
    expect(logs).not.toContain(SECRET);
    expect(logs).not.toContain(s.config.proxy.token);
  });

  it.runIf(testEngine === "pglite")(
    "is 503 within about 2 s when the embedded database does not answer",
    async () => {
      const s = await start();
      let release: () => void = () => undefined;
      const held = new Promise<void>((r) => (release = r));
      // PGlite has one connection: an open transaction makes every other query wait.
      const trx = s.db.kysely.transaction().execute(async (t) => {
        await sql`SELECT 1`.execute(t);
        await held;
      });
      const t0 = Date.now();
      const h = await getHealth(s.url);
      expect(h.status).toBe(503);
      expect(h.body.status).toBe("degraded");
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1900);
      release();
      await trx;
      expect((await getHealth(s.url)).status).toBe(200);
    },
  );

  it.runIf(testEngine === "pglite")("is 503 when the embedded database has been closed", async () => {
    const s = await start();
    await s.db.pglite?.close();
    expect((await getHealth(s.url)).status).toBe(503);
  });

  it.runIf(testEngine === "postgres")("is 503 when the PostgreSQL database goes away", async () => {
    const adminUrl = process.env.TEST_DATABASE_URL as string;
    const url = await createPostgresDatabase(adminUrl);
    const s = await start(url);
    expect((await getHealth(s.url)).status).toBe(200);
    await dropPostgresDatabase(undefined, adminUrl, url);
    const h = await getHealth(s.url);
    expect(h.status).toBe(503);
    expect(h.body.status).toBe("degraded");
  });

  it("stop() is idempotent and closes the listener", async () => {
    const s = await start();
    await Promise.all([s.stop(), s.stop()]);
    await expect(fetch(`${s.url}/health`)).rejects.toThrow();
  });
});
