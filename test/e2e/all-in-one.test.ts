import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CONTAINERS_CONF, podmanSkipReason } from "../helpers/podman-fixtures.js";
import { spawnServer, type ServerProcess } from "../helpers/server-process.js";

/**
 * All-in-one mode as `npm start` runs it on a machine with Podman: the
 * server with the embedded database starts an in-process agent (local_worker
 * auto), which registers as `local` with the master secret and comes online;
 * SIGTERM stops both and exits 0.
 */
const SECRET = "all-in-one-test-secret-0123456789abcdef";

const skipReason = podmanSkipReason({ busybox: false });
if (skipReason) console.warn(`all-in-one test skipped: ${skipReason}`);

let server: ServerProcess | undefined;
let dataDir: string | undefined;
afterAll(async () => {
  server?.child.kill("SIGKILL");
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe.skipIf(skipReason !== undefined)("all-in-one mode (real Podman)", () => {
  it("runs a local worker that registers, comes online and stops with the server", async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "wh-aio-"));
    server = spawnServer({
      WISEHOSTING_LISTEN: "127.0.0.1:0",
      WISEHOSTING_DATA_DIR: dataDir,
      WISEHOSTING_SECRET: SECRET,
      WISEHOSTING_LOCAL_WORKER: "auto",
      CONTAINERS_CONF,
      HOME: process.env.HOME ?? "/root",
    });
    const url = await server.ready;
    expect(server.output()).toMatch(/local worker: on/);

    const stats = async (): Promise<{ workers_online: number; workers_total: number }> => {
      const res = await fetch(`${url}/v1/stats`, { headers: { authorization: `Bearer ${SECRET}` } });
      return (await res.json()) as { workers_online: number; workers_total: number };
    };
    await expect.poll(async () => (await stats()).workers_online, { timeout: 60_000, interval: 250 }).toBe(1);
    expect((await stats()).workers_total).toBe(1);

    const keyFile = path.join(dataDir, "agent", "api-key");
    expect(existsSync(keyFile)).toBe(true);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    // The key never reaches the log.
    const key = (await readFile(keyFile, "utf8")).trim();
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(server.output()).not.toContain(key);

    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    server = undefined;
  }, 240_000);
});
