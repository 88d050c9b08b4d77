/* eslint-disable no-control-regex -- the test looks for control characters on purpose */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SimWorker } from "../../src/agent/sim/sim-worker.js";
import type { JobPayload } from "../../src/protocol/messages-server.js";
import { ApiClient, signUp } from "../helpers/api-client.js";
import { startTestControlPlane, TEST_SECRET, type TestControlPlane } from "../helpers/control-plane.js";
import { BIN } from "../helpers/server-process.js";

/**
 * The CLI as a user runs it: the built binary against a control plane started
 * here, with a simulated worker that takes the deploy jobs. Credentials live
 * in a temporary WISEHOSTING_CONFIG_DIR, never in the real home directory.
 */

const PASSWORD = "correct horse battery staple";
const EMAIL = "dev@example.com";
let cp: TestControlPlane;
let sim: SimWorker;
let configDir: string;
let work: string;
const jobs: JobPayload[] = [];
/** What the next deploy comes to; a test flips it to see a failure. */
let nextDeployFails: string | null = null;

interface Run {
  code: number | string;
  stdout: string;
  stderr: string;
}

/** Runs the binary with `input` on stdin and only the test's environment. */
function cli(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<Run> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? "", WISEHOSTING_CONFIG_DIR: configDir, ...opts.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  child.stdin.end(opts.input ?? "");
  return new Promise((resolve) =>
    child.on("close", (c, s) => resolve({ code: c ?? s ?? -1, stdout, stderr })),
  );
}

beforeAll(async () => {
  cp = await startTestControlPlane();
  configDir = await mkdtemp(path.join(tmpdir(), "wh-cli-config-"));
  work = await mkdtemp(path.join(tmpdir(), "wh-cli-work-"));
  sim = new SimWorker({
    baseUrl: cp.url,
    name: "sim-cli",
    bearer: TEST_SECRET,
    cpuMillicores: 4000,
    memoryMb: 8192,
    jobBehaviour: (job) => {
      jobs.push(job);
      if (job.type !== "deploy") return { success: true };
      sim.sendBuildLog(job.job_id, "STEP 1/2: FROM docker.io/library/node:20\nSTEP 2/2: COPY . .\n");
      if (nextDeployFails) return { success: false, error: nextDeployFails, logs: "build failed\n" };
      return { success: true, logs: "built and started\n" };
    },
  });
  await sim.start();
  await signUp(cp.url, EMAIL, PASSWORD);
});
afterAll(async () => {
  await sim?.stop();
  await cp?.stop();
  await rm(configDir, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
});

describe("wisehosting CLI", () => {
  it("logs in with --password-stdin and stores a 0600 token; whoami reads it", async () => {
    const login = await cli(["login", "--server", cp.url, "--email", EMAIL, "--password-stdin"], {
      input: `${PASSWORD}\n`,
    });
    expect(login.stderr).toContain(`logged in to ${cp.url} as ${EMAIL}`);
    expect(login.code).toBe(0);
    const file = path.join(configDir, "credentials.json");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const who = await cli(["whoami", "--json"]);
    expect(who.code).toBe(0);
    expect(JSON.parse(who.stdout).user).toMatchObject({ email: EMAIL, is_admin: true });

    const wrong = await cli(["login", "--server", cp.url, "--email", EMAIL, "--password-stdin"], {
      input: "not the password\n",
      env: { WISEHOSTING_CONFIG_DIR: path.join(configDir, "other") },
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe("wisehosting: wrong email or password\n");
  });

  it("signs up a second account only with an invite, and logs it in", async () => {
    const other = { WISEHOSTING_CONFIG_DIR: path.join(configDir, "signup") };
    const args = ["signup", "--server", cp.url, "--email", "second@example.com", "--password-stdin"];
    const refused = await cli(args, { input: "second long password\n", env: other });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("sign-up is by invitation");
    const admin = new ApiClient(cp.url);
    expect((await admin.post("/auth/login", { email: EMAIL, password: PASSWORD })).status).toBe(200);
    const invite = await admin.post("/admin/invites", { email: "second@example.com" });
    expect(invite.status).toBe(201);
    const ok = await cli([...args, "--invite", invite.body.token], {
      input: "second long password\n",
      env: other,
    });
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain(`logged in to ${cp.url} as second@example.com`);
    const who = await cli(["whoami", "--json"], { env: other });
    expect(JSON.parse(who.stdout).user).toMatchObject({ email: "second@example.com", is_admin: false });
  });

  it("creates an app and refuses bad command lines with exit 2", async () => {
    const created = await cli(["apps", "create", "Web Site", "--slug", "web", "--json"]);
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout).app).toMatchObject({ slug: "web", name: "Web Site" });
    expect((await cli(["apps", "create"])).code).toBe(2);
    expect((await cli(["apps", "list", "--bogus"])).code).toBe(2);
    const missing = await cli(["apps", "info", "nope"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^wisehosting: .*not found/);
  });

  it("deploys a folder: the build context reaches the worker, the log streams, the URL is printed", async () => {
    const dir = path.join(work, "web");
    await mkdir(path.join(dir, "src"), { recursive: true });
    await writeFile(path.join(dir, "Containerfile"), "FROM docker.io/library/node:20\nCOPY . .\n");
    await writeFile(path.join(dir, "src", "index.js"), "console.log('hi')\n");
    await writeFile(path.join(dir, ".gitignore"), "secret.env\n");
    await writeFile(path.join(dir, "secret.env"), "TOKEN=1\n");
    const res = await cli(["deploy", dir]);
    expect(res.stderr).toMatch(/uploaded \d+\.\d MB/);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("STEP 1/2: FROM docker.io/library/node:20");
    expect(res.stdout).toContain(`deployed web: https://web.${cp.config.proxy.base_domain}`);
    const deploy = jobs.find((j) => j.type === "deploy" && j.app.slug === "web");
    expect(deploy?.type === "deploy" && deploy.deploy.source.kind).toBe("archive");

    const list = await cli(["apps", "list", "--json"]);
    expect(list.code).toBe(0);
    const apps = JSON.parse(list.stdout).apps as { slug: string; status: string }[];
    expect(apps.find((a) => a.slug === "web")?.status).toBe("running");
  });

  it("a failed deploy exits 1 with the error", async () => {
    nextDeployFails = "port 8080 never opened";
    try {
      const res = await cli(["deploy", "--app", "web", "--image", "docker.io/library/nginx:1"]);
      expect(res.code).toBe(1);
      expect(res.stderr).toContain("port 8080 never opened");
    } finally {
      nextDeployFails = null;
    }
  });

  it("refuses a folder without a Containerfile before uploading anything", async () => {
    const dir = path.join(work, "empty");
    await mkdir(dir, { recursive: true });
    const res = await cli(["deploy", dir, "--app", "web"]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/no Containerfile or Dockerfile at the root/);
  });

  it("prints logs with escape sequences removed, and follows new lines with -f", async () => {
    const app = await cp.t.db.kysely
      .selectFrom("apps")
      .select("id")
      .where("slug", "=", "web")
      .executeTakeFirstOrThrow();
    cp.parts.logBus.publish([
      { appId: app.id, ts: Date.now(), stream: "stdout", line: "hello from web" },
      { appId: app.id, ts: Date.now(), stream: "stderr", line: "\x1b]0;pwned\x07\x1b[2Jevil\x9b31m" },
    ]);
    const res = await cli(["logs", "web", "--tail", "10"]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("hello from web");
    expect(res.stdout).toContain("! evil");
    expect(res.stdout).not.toMatch(/[\x1b\x07\x9b]/);

    const child = spawn(process.execPath, [BIN, "logs", "web", "-f", "--tail", "0"], {
      env: { PATH: process.env.PATH ?? "", WISEHOSTING_CONFIG_DIR: configDir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    try {
      // Lines keep coming until the stream is open and one arrives.
      await expect
        .poll(
          () => {
            sim.sendRuntimeLog([{ app_id: app.id, line: "live line" }]);
            return out;
          },
          { timeout: 15_000, interval: 200 },
        )
        .toContain("live line");
    } finally {
      child.kill("SIGTERM");
    }
  });

  it("env, domains, alerts, webhooks and usage: --json parses, tables print", async () => {
    const set = await cli(["apps", "env", "set", "web", "GREETING=hello=world", "DEBUG=1"]);
    expect(set.code).toBe(0);
    expect(set.stdout).not.toContain("hello=world");
    const info = await cli(["apps", "info", "web", "--json"]);
    expect(JSON.parse(info.stdout).app.env_names).toEqual(expect.arrayContaining(["GREETING", "DEBUG"]));
    expect((await cli(["apps", "env", "unset", "web", "DEBUG"])).code).toBe(0);
    expect((await cli(["apps", "info", "web"])).stdout).toMatch(/env:\s+GREETING\n/);

    const added = await cli(["domains", "add", "web", "www.example.com"]);
    expect(added.code).toBe(0);
    expect(added.stdout).toContain("_wisehosting-challenge.www.example.com");
    const domains = JSON.parse((await cli(["domains", "list", "web", "--json"])).stdout);
    expect(domains.domains).toMatchObject([{ hostname: "www.example.com", verified: false }]);
    expect((await cli(["domains", "remove", "web", "www.example.com"])).code).toBe(0);

    expect(JSON.parse((await cli(["alerts", "--json"])).stdout)).toHaveProperty("alerts");
    expect((await cli(["alerts", "--status", "sometimes"])).code).toBe(2);
    expect(JSON.parse((await cli(["webhooks", "list", "--json"])).stdout)).toEqual({ webhooks: [] });
    const usage = await cli(["usage", "web", "--since", "1h", "--json"]);
    expect(usage.code).toBe(0);
    expect(JSON.parse(usage.stdout)).toHaveProperty("buckets");
  });

  it("workers list and worker join-token as the admin, through the user API", async () => {
    const workers = await cli(["workers", "list", "--json"]);
    expect(workers.code).toBe(0);
    expect(JSON.parse(workers.stdout).workers.map((w: { name: string }) => w.name)).toContain("sim-cli");
    const table = await cli(["workers", "list"]);
    expect(table.stdout).toMatch(/^ID\s+NAME\s+STATUS/);
    const jt = await cli(["worker", "join-token", "--ttl", "30m"]);
    expect(jt.code).toBe(0);
    expect(jt.stdout.trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(jt.stderr).toContain("wisehosting agent");
  });

  it("logs out: the token is revoked and the file is gone", async () => {
    const res = await cli(["logout"]);
    expect(res.code).toBe(0);
    await expect(stat(path.join(configDir, "credentials.json"))).rejects.toThrow();
    const who = await cli(["whoami"]);
    expect(who.code).toBe(1);
    expect(who.stderr).toMatch(/not logged in/);
  });
});
