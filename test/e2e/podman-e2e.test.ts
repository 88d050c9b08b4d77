import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { Agent } from "../../src/agent/agent.js";
import { PodmanRuntime } from "../../src/agent/runtime/podman.js";
import { RestartPolicy } from "../../src/agent/runtime/restart-policy.js";
import { signUp, type ApiClient } from "../helpers/api-client.js";
import { startTestControlPlane, TEST_SECRET, type TestControlPlane } from "../helpers/control-plane.js";
import { BIN } from "../helpers/server-process.js";
import { CONTAINERS_CONF, importBusyboxBase, podman, podmanSkipReason } from "../helpers/podman-fixtures.js";
import { Receiver } from "../helpers/webhook-receiver.js";

/**
 * End to end with the real Podman (issue 8, "Tests"): a control plane and an
 * Agent on PodmanRuntime in this process, the built `wisehosting` binary as
 * the user's CLI, and a busybox base image `podman import`ed here (there is
 * no registry). The steps share state and run in order. Every container,
 * image and network made here carries this run's random suffix and is
 * removed in afterAll, also when a step fails.
 */

const NETWORK = "wisehosting";
const STEP_MS = 180_000;
const PASSWORD = "correct horse battery staple";

const skipReason = podmanSkipReason();
if (skipReason) console.warn(`skipping test/e2e/podman-e2e.test.ts: ${skipReason}`);

const sfx = randomBytes(4).toString("hex");
const BASE = `localhost/wh-e2e-base-${sfx}:1`;
const WEB = `e2e-${sfx}-web`;
const CRASH = `e2e-${sfx}-crash`;
const EMAIL = `e2e-${sfx}@example.com`;
const quiet = { info: () => undefined, error: () => undefined };

interface Run {
  code: number | string;
  stdout: string;
  stderr: string;
}

/**
 * A poller that behaves like Traefik: every 100 ms it re-reads the proxy
 * config and takes the URL it names for `slug`; every 100 ms it sends a GET
 * to that URL. Any non-200 or connection error counts as a failure.
 */
class TraefikLikePoller {
  url: string | undefined;
  /** Every URL the proxy config named, in order of first sight. */
  readonly urls = new Set<string>();
  lastBody = "";
  ok = 0;
  readonly failures: string[] = [];
  #running = true;
  readonly #loops: Promise<void>[];

  constructor(
    private readonly cpUrl: string,
    private readonly proxyToken: string,
    private readonly slug: string,
  ) {
    this.#loops = [this.#every(() => this.#readConfig()), this.#every(() => this.#get())];
  }

  async #every(tick: () => Promise<void>): Promise<void> {
    while (this.#running) {
      await tick();
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async #readConfig(): Promise<void> {
    try {
      const url = await proxyUrlOf(this.cpUrl, this.proxyToken, this.slug);
      if (url) {
        this.url = url;
        this.urls.add(url);
      }
    } catch {
      // The proxy keeps its last good configuration when the provider fails.
    }
  }

  async #get(): Promise<void> {
    const url = this.url;
    if (!url) return;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      const body = await res.text();
      if (res.status !== 200) this.failures.push(`${url}: HTTP ${res.status}`);
      else {
        this.ok++;
        this.lastBody = body;
      }
    } catch (err) {
      this.failures.push(`${url}: ${(err as Error).message}`);
    }
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
  }
}

/** The server URL the proxy config names for `slug`, or undefined when it lists none. */
async function proxyUrlOf(cpUrl: string, token: string, slug: string): Promise<string | undefined> {
  const res = await fetch(`${cpUrl}/v1/traefik/proxy-config`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(10_000),
  });
  if (res.status !== 200) throw new Error(`proxy-config: HTTP ${res.status}`);
  const cfg = (await res.json()) as {
    http?: { services?: Record<string, { loadBalancer: { servers: { url: string }[] } }> };
  };
  return cfg.http?.services?.[slug]?.loadBalancer.servers[0]?.url;
}

describe.skipIf(skipReason !== undefined)("end to end with real Podman", () => {
  let cp: TestControlPlane;
  let runtime: PodmanRuntime;
  let agent: Agent | undefined;
  let agentDir = "";
  let work = "";
  let configDir = "";
  let api: ApiClient;
  let receiver: Receiver | undefined;
  let createdNetwork = false;
  const pollers: TraefikLikePoller[] = [];

  // The steps build on each other: after a failure the rest are skipped, not left to time out.
  let broken = false;
  beforeEach(({ skip, onTestFailed }) => {
    if (broken) skip("an earlier step failed");
    onTestFailed(() => {
      broken = true;
    });
  });

  function makeAgent(): Agent {
    return new Agent({
      serverUrl: cp.url,
      dataDir: agentDir,
      name: `e2e-${sfx}`,
      bearer: TEST_SECRET,
      wireguardIp: "127.0.0.1",
      cpuMillicores: 4000,
      memoryMb: 4096,
      runtime,
      log: quiet,
      statsIntervalMs: 1_000,
      settleMs: 500,
      portTimeoutMs: 60_000,
      // Short restart delays, so six crashes (a crash loop) take seconds, not a minute.
      restartPolicy: new RestartPolicy({ minDelayMs: 200, maxDelayMs: 1_000 }),
      backoff: { baseMs: 100, capMs: 1_000 },
    });
  }

  /** Runs the built binary with `input` on stdin and only the test's environment. */
  function cli(args: string[], input = ""): Promise<Run> {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? "", WISEHOSTING_CONFIG_DIR: configDir },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.stdin.end(input);
    return new Promise((resolve) =>
      child.on("close", (c, s) => resolve({ code: c ?? s ?? -1, stdout, stderr })),
    );
  }

  async function appFolder(name: string, containerfile: string): Promise<string> {
    const dir = path.join(work, name);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, "Containerfile"), containerfile);
    return dir;
  }

  function webContainerfile(version: string): string {
    return [
      `FROM ${BASE}`,
      `RUN mkdir -p /www && echo "hello ${version}" > /www/index.html`,
      `CMD ["/bin/sh", "-c", "echo started-${version}; exec httpd -f -v -p 8080 -h /www"]`,
      "",
    ].join("\n");
  }

  async function appStatus(slug: string): Promise<string> {
    const r = await api.get<{ app: { status: string } }>(`/apps/${slug}`);
    return r.body.app.status;
  }

  async function currentDeployment(slug: string): Promise<{ id: number; host_port: number }> {
    const row = await cp.t.db.kysely
      .selectFrom("apps")
      .innerJoin("deployments", "deployments.id", "apps.current_deployment_id")
      .select(["deployments.id", "deployments.host_port"])
      .where("apps.slug", "=", slug)
      .executeTakeFirstOrThrow();
    return { id: row.id, host_port: row.host_port ?? 0 };
  }

  async function containerId(name: string): Promise<string | undefined> {
    const out = await podman("ps", "-a", "--filter", `name=^${name}$`, "--format", "{{.ID}}", "--no-trunc");
    return out.trim() || undefined;
  }

  async function answers(port: number): Promise<boolean> {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(3_000) });
      await res.text();
      return true;
    } catch {
      return false;
    }
  }

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), "wh-e2e-work-"));
    configDir = await mkdtemp(path.join(tmpdir(), "wh-e2e-config-"));
    agentDir = await mkdtemp(path.join(tmpdir(), "wh-e2e-agent-"));

    await importBusyboxBase(work, BASE);
    createdNetwork = !(await podman("network", "exists", NETWORK).then(
      () => true,
      () => false,
    ));

    cp = await startTestControlPlane(
      {},
      {
        WISEHOSTING_AUTH_OPEN_SIGNUP: "true",
        WISEHOSTING_WEBHOOKS_ALLOW_PRIVATE_TARGETS: "true",
        WISEHOSTING_SCHEDULER_INTERVAL_MS: "200",
      },
    );
    runtime = new PodmanRuntime({
      containersConf: CONTAINERS_CONF,
      removeStopTimeoutS: 1,
      events: { minBackoffMs: 200 },
    });
    agent = makeAgent();
    const connected = new Promise<void>((resolve) => agent!.once("connected", () => resolve()));
    await agent.start();
    await connected;
  }, STEP_MS);

  afterAll(async () => {
    for (const p of pollers) await p.stop().catch(() => undefined);
    await agent?.stop().catch((e: unknown) => console.warn("agent stop", e));
    await cp?.stop().catch((e: unknown) => console.warn("control plane stop", e));
    await receiver?.close().catch(() => undefined);
    const names = await podman(
      "ps",
      "-a",
      "--filter",
      "label=io.wisehosting.managed=true",
      "--format",
      "{{.Names}}",
    ).catch(() => "");
    for (const name of names.split("\n").filter((n) => n.includes(WEB) || n.includes(CRASH))) {
      await podman("rm", "-f", "-t", "0", name).catch((e: unknown) => console.warn("cleanup", name, e));
    }
    const images = await podman("images", "--format", "{{.Repository}}:{{.Tag}}").catch(() => "");
    for (const image of images.split("\n")) {
      if (
        image.startsWith(`localhost/wisehosting/${WEB}:`) ||
        image.startsWith(`localhost/wisehosting/${CRASH}:`)
      ) {
        await podman("rmi", "-f", image).catch((e: unknown) => console.warn("cleanup", image, e));
      }
    }
    await podman("rmi", "-f", BASE).catch(() => undefined);
    // Only a network this run created, and only if nothing else uses it by now (no -f).
    if (createdNetwork) await podman("network", "rm", NETWORK).catch(() => undefined);
    for (const dir of [work, configDir, agentDir]) if (dir) await rm(dir, { recursive: true, force: true });
  }, STEP_MS);

  it(
    "signs up, logs in with the CLI, creates an app and deploys a folder: the build log streams, the URL prints",
    async () => {
      api = await signUp(cp.url, EMAIL, PASSWORD);
      const login = await cli(
        ["login", "--server", cp.url, "--email", EMAIL, "--password-stdin"],
        `${PASSWORD}\n`,
      );
      expect(login.code, login.stderr).toBe(0);
      const created = await cli(["apps", "create", "E2E Web", "--slug", WEB, "--json"]);
      expect(created.code, created.stderr).toBe(0);

      const dir = await appFolder("web-v1", webContainerfile("v1"));
      const res = await cli(["deploy", dir, "--app", WEB]);
      expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(0);
      expect(res.stdout).toMatch(/STEP 1\/3: FROM /);
      expect(res.stdout).toMatch(/STEP 2\/3: RUN mkdir/);
      expect(res.stdout).toContain(`deployed ${WEB}: https://${WEB}.${cp.config.proxy.base_domain}`);
    },
    STEP_MS,
  );

  it(
    "the app runs: the page answers on the host port, the proxy lists it, stats and logs arrive",
    async () => {
      expect(await appStatus(WEB)).toBe("running");
      const { host_port } = await currentDeployment(WEB);
      expect(host_port).toBeGreaterThan(0);
      const res = await fetch(`http://127.0.0.1:${host_port}/`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("hello v1\n");

      expect(await proxyUrlOf(cp.url, cp.config.proxy.token, WEB)).toBe(`http://127.0.0.1:${host_port}`);

      await expect
        .poll(async () => (await api.get(`/apps/${WEB}/stats`)).body.stats?.mem_bytes ?? 0, {
          timeout: 60_000,
          interval: 500,
        })
        .toBeGreaterThan(0);

      await expect
        .poll(async () => (await cli(["logs", WEB, "--tail", "100"])).stdout, {
          timeout: 60_000,
          interval: 500,
        })
        .toContain("started-v1");
    },
    STEP_MS,
  );

  it(
    "a redeploy switches to v2 with no failed request, through the old container's drain and stop",
    async () => {
      const old = await currentDeployment(WEB);
      const oldName = `wh-${WEB}-d${old.id}`;
      expect(await containerId(oldName)).toBeDefined();
      const poller = new TraefikLikePoller(cp.url, cp.config.proxy.token, WEB);
      pollers.push(poller);
      await expect.poll(() => poller.ok, { timeout: 30_000, interval: 100 }).toBeGreaterThan(0);
      expect(poller.lastBody).toBe("hello v1\n");

      const dir = await appFolder("web-v2", webContainerfile("v2"));
      const res = await cli(["deploy", dir, "--app", WEB]);
      expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(0);
      await expect.poll(() => poller.lastBody, { timeout: 60_000, interval: 100 }).toBe("hello v2\n");
      expect((await currentDeployment(WEB)).id).not.toBe(old.id);
      // The stop of the old deployment runs after the drain (REDEPLOY_DRAIN_MS, 10 s) plus the stop timeout.
      await expect.poll(() => containerId(oldName), { timeout: 120_000, interval: 500 }).toBeUndefined();
      // A few more requests after the old container is gone.
      const after = poller.ok;
      await expect.poll(() => poller.ok, { timeout: 30_000, interval: 100 }).toBeGreaterThan(after + 5);
      await poller.stop();
      expect(poller.failures).toEqual([]);
      expect(poller.lastBody).toBe("hello v2\n");
      // The switch went through the proxy config: the old port, then the new one.
      const fresh = await currentDeployment(WEB);
      expect([...poller.urls]).toEqual([
        `http://127.0.0.1:${old.host_port}`,
        `http://127.0.0.1:${fresh.host_port}`,
      ]);
      expect(await answers(old.host_port)).toBe(false);
    },
    STEP_MS,
  );

  it(
    "stop makes the port go dark and the app stopped",
    async () => {
      const { host_port } = await currentDeployment(WEB);
      expect(await answers(host_port)).toBe(true);
      const r = await api.post(`/apps/${WEB}/stop`);
      expect(r.status).toBe(202);
      await expect.poll(() => answers(host_port), { timeout: 60_000, interval: 250 }).toBe(false);
      await expect.poll(() => appStatus(WEB), { timeout: 60_000, interval: 250 }).toBe("stopped");
    },
    STEP_MS,
  );

  it(
    "a container that crashes repeatedly produces app.crashloop at a webhook receiver",
    async () => {
      receiver = await Receiver.start();
      const hook = await api.post("/webhooks", { url: receiver.url(), events: ["app.crashloop"] });
      expect(hook.status, JSON.stringify(hook.body)).toBe(201);
      const created = await cli(["apps", "create", "E2E Crash", "--slug", CRASH, "--json"]);
      expect(created.code, created.stderr).toBe(0);
      // The agent restarts only containers of deploys that succeeded: it listens first, then dies.
      const dir = await appFolder(
        "crash",
        [
          `FROM ${BASE}`,
          `CMD ["/bin/sh", "-c", "echo dying-soon; httpd -p 8080 -h /tmp; sleep 2; echo dying; exit 1"]`,
          "",
        ].join("\n"),
      );
      const res = await cli(["deploy", dir, "--app", CRASH]);
      expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(0);

      await receiver.waitFor(1);
      const body = JSON.parse(receiver.requests[0]!.body) as Record<string, unknown>;
      expect(JSON.stringify(body)).toContain("app.crashloop");
      expect(JSON.stringify(body)).toContain(CRASH);
      await expect.poll(() => appStatus(CRASH), { timeout: 30_000, interval: 250 }).toBe("crashed");

      // Enough of it: stop the crashing app so it does not churn through the rest of the run.
      expect((await api.post(`/apps/${CRASH}/stop`)).status).toBe(202);
      await expect.poll(() => appStatus(CRASH), { timeout: 60_000, interval: 250 }).toBe("stopped");
    },
    STEP_MS,
  );

  it(
    "an agent restart leaves the app running and serving: same container, no failed request",
    async () => {
      expect((await api.post(`/apps/${WEB}/start`)).status).toBe(202);
      await expect.poll(() => appStatus(WEB), { timeout: 120_000, interval: 250 }).toBe("running");
      const dep = await currentDeployment(WEB);
      const name = `wh-${WEB}-d${dep.id}`;
      const before = await containerId(name);
      expect(before).toBeDefined();

      const poller = new TraefikLikePoller(cp.url, cp.config.proxy.token, WEB);
      pollers.push(poller);
      await expect.poll(() => poller.ok, { timeout: 30_000, interval: 100 }).toBeGreaterThan(0);

      const first = agent!;
      agent = undefined;
      await first.stop();
      const okWhileDown = poller.ok;
      await expect.poll(() => poller.ok, { timeout: 30_000, interval: 100 }).toBeGreaterThan(okWhileDown + 5);

      agent = makeAgent();
      const reconnected = new Promise<void>((resolve) => agent!.once("connected", () => resolve()));
      await agent.start();
      await reconnected;
      expect(agent.registry.get(before!)).toBeDefined();
      const okAfter = poller.ok;
      await expect.poll(() => poller.ok, { timeout: 30_000, interval: 100 }).toBeGreaterThan(okAfter + 10);
      await poller.stop();

      expect(await containerId(name)).toBe(before);
      expect(poller.failures).toEqual([]);
      expect(poller.lastBody).toBe("hello v2\n");
      expect(await appStatus(WEB)).toBe("running");
    },
    STEP_MS,
  );
});
