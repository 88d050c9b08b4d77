import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createPostgresDatabase, dropPostgresDatabase } from "./helpers/test-db.js";
import { runBin, spawnServer, type ServerProcess } from "./helpers/server-process.js";

const running: ServerProcess[] = [];
afterAll(() => {
  for (const s of running) s.child.kill("SIGKILL");
});

function start(env: Record<string, string>): ServerProcess {
  const s = spawnServer({ WISEHOSTING_LISTEN: "127.0.0.1:0", ...env });
  running.push(s);
  return s;
}

async function health(url: string): Promise<{ status: number; body: { status: string; time: string } }> {
  const res = await fetch(`${url}/health`);
  return { status: res.status, body: (await res.json()) as { status: string; time: string } };
}

describe("embedded database, as `npm start` runs it", () => {
  it("first start initialises, a second process is refused, SIGTERM exits 0, a restart reuses everything", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "wh-embedded-"));
    const first = start({ WISEHOSTING_DATA_DIR: dataDir });
    const url = await first.ready;
    expect(first.output()).toContain("initialising the embedded database");
    const h = await health(url);
    expect(h.status).toBe(200);
    expect(h.body.status).toBe("ok");
    expect(new Date(h.body.time).toISOString()).toBe(h.body.time);
    expect(first.output()).toContain(`data dir:     ${dataDir}`);
    expect(first.output()).toContain(`database:     embedded ${path.join(dataDir, "db")}`);
    const secret = (await readFile(path.join(dataDir, "secret"), "utf8")).trim();
    expect(first.output()).not.toContain(secret);

    const second = await runBin(["server"], {
      WISEHOSTING_DATA_DIR: dataDir,
      WISEHOSTING_LISTEN: "127.0.0.1:0",
    });
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/in use by another wisehosting process \(pid \d+/);
    expect(second.stderr.trim().split("\n")).toHaveLength(1);
    expect((await health(url)).status).toBe(200); // the first one is unharmed

    // `wisehosting worker join-token` asks the running server, with the secret from the data directory.
    const jt = await runBin(["worker", "join-token", "--ttl", "1h", "--server", url], {
      WISEHOSTING_DATA_DIR: dataDir,
    });
    expect(jt.code).toBe(0);
    const token = jt.stdout.trim();
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(jt.stderr).toContain("single use");
    const register = (bearer: string) =>
      fetch(`${url}/v1/workers/register`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` },
        body: JSON.stringify({ name: "w1", api_key: "a".repeat(64), cpu_millicores: 1000, memory_mb: 1024 }),
      }).then((r) => r.status);
    expect(await register(token)).toBe(200);
    expect(await register(token)).toBe(401);
    expect(
      (await runBin(["worker", "join-token", "--ttl", "soon"], { WISEHOSTING_DATA_DIR: dataDir })).code,
    ).toBe(2);

    const t0 = Date.now();
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);

    const again = start({ WISEHOSTING_DATA_DIR: dataDir });
    const url2 = await again.ready;
    expect(again.output()).not.toContain("initialising the embedded database");
    expect((await health(url2)).status).toBe(200);
    expect((await readFile(path.join(dataDir, "secret"), "utf8")).trim()).toBe(secret);
    again.child.kill("SIGINT");
    expect(await again.exited).toBe(0);
  }, 180_000);
});

describe("bad configuration exits 2 with one line naming the problem", () => {
  it.each([
    [{ WISEHOSTING_SECRET: "too-short" }, "api_server.secret"],
    [{ WISEHOSTING_SCHEDULER_INTERVAL_MS: "soon" }, "scheduler.interval_ms"],
    [{ WISEHOSTING_LISTEN: "nowhere" }, "server.listen"],
    [
      { DATABASE_URL: "postgres://app:hunter2hunter2@127.0.0.1:1/none" },
      "database: cannot connect to postgres://app@127.0.0.1:1/none",
    ],
  ])("%j", async (env, expected) => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "wh-bad-"));
    const r = await runBin(["server"], { WISEHOSTING_DATA_DIR: dataDir, ...env });
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(expected);
    expect(r.stderr).not.toContain("hunter2hunter2");
  });

  it("an unknown key in the YAML file given with --config", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "wh-bad-"));
    const file = path.join(dataDir, "c.yaml");
    await (await import("node:fs/promises")).writeFile(file, "server:\n  lisen: 127.0.0.1:1\n");
    const r = await runBin(["server", "--config", file], { WISEHOSTING_DATA_DIR: dataDir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown key server.lisen");
  });

  it("an unknown command or option", async () => {
    expect((await runBin(["serve"], {})).code).toBe(2);
    expect((await runBin(["server", "--bogus"], {})).code).toBe(2);
  });
});

const adminUrl = process.env.TEST_DATABASE_URL;
describe.skipIf(!adminUrl)("PostgreSQL (DATABASE_URL)", () => {
  it("three servers started at the same moment on one empty database all come up", async () => {
    const url = await createPostgresDatabase(adminUrl as string);
    try {
      const servers = [0, 1, 2].map(async () =>
        start({ WISEHOSTING_DATA_DIR: await mkdtemp(path.join(tmpdir(), "wh-pg-")), DATABASE_URL: url }),
      );
      const started = await Promise.all(servers);
      const urls = await Promise.all(started.map((s) => s.ready));
      for (const u of urls) expect((await health(u)).status).toBe(200);
      for (const s of started) {
        expect(s.output()).toContain("database:     postgres postgres://");
        expect(s.output()).not.toContain("wisehosting:wisehosting@");
      }
      const applied = started.filter((s) => s.output().includes("database migrated"));
      expect(applied).toHaveLength(1);
      for (const s of started) s.child.kill("SIGTERM");
      expect(await Promise.all(started.map((s) => s.exited))).toEqual([0, 0, 0]);
    } finally {
      await dropPostgresDatabase(undefined, adminUrl as string, url);
    }
  });
});
