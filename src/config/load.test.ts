import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../errors.js";
import { ENV_BINDINGS, envNameFor } from "./env.js";
import { loadConfig } from "./load.js";
import { redactConfig } from "./redact.js";

const SECRET = "s".repeat(32);
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "wh-config-"));
});

async function yamlFile(text: string): Promise<string> {
  const file = path.join(dir, "config.yaml");
  await writeFile(file, text);
  return file;
}

async function loadError(opts: Parameters<typeof loadConfig>[0]): Promise<string> {
  try {
    await loadConfig(opts);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as ConfigError).message;
    expect(message).not.toContain("\n");
    return message;
  }
  throw new Error("expected loadConfig to fail");
}

describe("defaults", () => {
  it("uses the documented defaults and generates secrets into the data directory", async () => {
    const dataDir = path.join(dir, "data");
    const config = await loadConfig({ env: { WISEHOSTING_DATA_DIR: dataDir } });
    expect(config.server.listen).toBe("127.0.0.1:8080");
    expect(config.server.public_url).toBe("http://127.0.0.1:8080");
    expect(config.data_dir).toBe(dataDir);
    expect(config.database.url).toBeUndefined();
    expect(config.proxy.base_domain).toBe("localhost");
    expect(config.proxy.entry_points).toEqual(["web", "websecure"]);
    expect(config.proxy.cert_resolver).toBe("letsencrypt");
    expect(config.scheduler).toEqual({ interval_ms: 1000, stuck_job_timeout_s: 900 });
    expect(config.workers).toEqual({ heartbeat_timeout_s: 120, health_interval_s: 60 });
    expect(config.alerts.interval_s).toBe(30);
    expect(config.usage.sample_interval_s).toBe(60);

    expect(config.api_server.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(config.proxy.token).toMatch(/^[0-9a-f]{64}$/);
    expect(config.proxy.token).not.toBe(config.api_server.secret);
    const secretFile = path.join(dataDir, "secret");
    expect((await readFile(secretFile, "utf8")).trim()).toBe(config.api_server.secret);
    expect((await stat(secretFile)).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(dataDir, "proxy-token"))).mode & 0o777).toBe(0o600);
    expect(config.secretSources.api_server).toBe(secretFile);

    const again = await loadConfig({ env: { WISEHOSTING_DATA_DIR: dataDir } });
    expect(again.api_server.secret).toBe(config.api_server.secret);
    expect(again.proxy.token).toBe(config.proxy.token);
  });

  it("derives public_url from listen and TLS", async () => {
    const cert = path.join(dir, "c.pem");
    await writeFile(cert, "x");
    const config = await loadConfig({
      env: {
        WISEHOSTING_DATA_DIR: dir,
        WISEHOSTING_LISTEN: "0.0.0.0:8443",
        WISEHOSTING_TLS_CERT: cert,
        WISEHOSTING_TLS_KEY: cert,
      },
    });
    expect(config.server.public_url).toBe("https://0.0.0.0:8443");
  });
});

describe("precedence", () => {
  it("environment overrides the YAML file, which overrides defaults", async () => {
    const file = await yamlFile(
      [
        "server:",
        "  listen: 127.0.0.1:9000",
        "  public_url: https://paas.example.com",
        "scheduler:",
        "  interval_ms: 500",
        "  stuck_job_timeout_s: 60",
        "proxy:",
        "  base_domain: Apps.Example.COM",
        "  token: " + "t".repeat(40),
        "api_server:",
        "  secret: " + "y".repeat(40),
        "database:",
        "  url: postgres://yaml@db/yaml",
        `data_dir: ${dir}`,
      ].join("\n"),
    );
    const config = await loadConfig({
      configPath: file,
      env: {
        WISEHOSTING_LISTEN: "127.0.0.1:9100",
        WISEHOSTING_SCHEDULER_INTERVAL_MS: "250",
        WISEHOSTING_SECRET: SECRET,
        DATABASE_URL: "postgres://env:pw@db:5433/envdb",
        WISEHOSTING_WORKERS_HEARTBEAT_TIMEOUT_S: "90",
        WISEHOSTING_PROXY_ENTRY_POINTS: "websecure",
        WISEHOSTING_WEBHOOKS_ALLOW_PRIVATE_TARGETS: "true",
      },
    });
    expect(config.server.listen).toBe("127.0.0.1:9100");
    expect(config.server.public_url).toBe("https://paas.example.com");
    expect(config.scheduler.interval_ms).toBe(250);
    expect(config.scheduler.stuck_job_timeout_s).toBe(60);
    expect(config.proxy.base_domain).toBe("apps.example.com");
    expect(config.proxy.token).toBe("t".repeat(40));
    expect(config.api_server.secret).toBe(SECRET);
    expect(config.secretSources.api_server).toBe("configuration");
    expect(config.database.url).toBe("postgres://env:pw@db:5433/envdb");
    expect(config.workers.heartbeat_timeout_s).toBe(90);
    expect(config.proxy.entry_points).toEqual(["websecure"]);
    expect(config.webhooks.allow_private_targets).toBe(true);
  });

  it("--config wins over WISEHOSTING_CONFIG", async () => {
    const a = await yamlFile(`data_dir: ${dir}\nalerts:\n  interval_s: 7\n`);
    const b = path.join(dir, "other.yaml");
    await writeFile(b, `data_dir: ${dir}\nalerts:\n  interval_s: 9\n`);
    expect((await loadConfig({ configPath: a, env: { WISEHOSTING_CONFIG: b } })).alerts.interval_s).toBe(7);
    expect((await loadConfig({ env: { WISEHOSTING_CONFIG: b } })).alerts.interval_s).toBe(9);
  });

  it("plans override and extend the built-in ones", async () => {
    const file = await yamlFile(
      `data_dir: ${dir}\nplans:\n  free:\n    max_apps: 1\n    max_cpu_millicores: 250\n    max_memory_mb: 128\n  team:\n    max_apps: 50\n    max_cpu_millicores: 8000\n    max_memory_mb: 16384\n`,
    );
    const config = await loadConfig({ configPath: file, env: {} });
    expect(config.plans.free).toEqual({ max_apps: 1, max_cpu_millicores: 250, max_memory_mb: 128 });
    expect(config.plans.team?.max_apps).toBe(50);
  });

  it("every schema leaf has an environment variable following the rule", () => {
    const names = ENV_BINDINGS.map((b) => b.env);
    expect(names).toContain("WISEHOSTING_SCHEDULER_STUCK_JOB_TIMEOUT_S");
    expect(names).toContain("WISEHOSTING_USAGE_SAMPLE_INTERVAL_S");
    expect(names).toContain("WISEHOSTING_WORKERS_HEALTH_INTERVAL_S");
    expect(names).toContain("DATABASE_URL");
    expect(envNameFor("alerts.interval_s")).toBe("WISEHOSTING_ALERTS_INTERVAL_S");
    expect(new Set(names).size).toBe(names.length);
  });
});

describe("errors name the problem", () => {
  it("a secret shorter than 32 bytes, from the environment", async () => {
    const msg = await loadError({ env: { WISEHOSTING_DATA_DIR: dir, WISEHOSTING_SECRET: "short" } });
    expect(msg).toContain("api_server.secret");
    expect(msg).toContain("WISEHOSTING_SECRET");
    expect(msg).toContain("32 bytes");
    expect(msg).not.toContain("short");
  });

  it("a proxy token shorter than 32 bytes, from YAML", async () => {
    const file = await yamlFile(`data_dir: ${dir}\nproxy:\n  token: abc\n`);
    expect(await loadError({ configPath: file, env: {} })).toContain("proxy.token");
  });

  it("a too-short secret file in the data directory", async () => {
    await writeFile(path.join(dir, "secret"), "tooshort\n");
    const msg = await loadError({ env: { WISEHOSTING_DATA_DIR: dir } });
    expect(msg).toContain("api_server.secret");
    expect(msg).toContain(path.join(dir, "secret"));
  });

  it("an unknown YAML key, top-level and nested", async () => {
    let file = await yamlFile(`data_dir: ${dir}\nlisten: 1.2.3.4:5\n`);
    expect(await loadError({ configPath: file, env: {} })).toContain("unknown key listen");
    file = await yamlFile(`data_dir: ${dir}\nscheduler:\n  intervall_ms: 5\n`);
    expect(await loadError({ configPath: file, env: {} })).toContain("unknown key scheduler.intervall_ms");
  });

  it("a malformed value from the environment names the key and the variable", async () => {
    const msg = await loadError({
      env: { WISEHOSTING_DATA_DIR: dir, WISEHOSTING_SCHEDULER_INTERVAL_MS: "fast" },
    });
    expect(msg).toContain("scheduler.interval_ms");
    expect(msg).toContain("WISEHOSTING_SCHEDULER_INTERVAL_MS");
  });

  it.each([
    ["WISEHOSTING_LISTEN", "localhost", "server.listen"],
    ["WISEHOSTING_LISTEN", "127.0.0.1:99999", "server.listen"],
    ["WISEHOSTING_PUBLIC_URL", "ftp://x", "server.public_url"],
    ["DATABASE_URL", "mysql://x/y", "database.url"],
    ["WISEHOSTING_BASE_DOMAIN", "bad`domain", "proxy.base_domain"],
    ["WISEHOSTING_USAGE_SAMPLE_INTERVAL_S", "-5", "usage.sample_interval_s"],
    ["WISEHOSTING_AUTH_OPEN_SIGNUP", "maybe", "auth.open_signup"],
  ])("%s=%s is refused naming %s", async (name, value, key) => {
    const msg = await loadError({ env: { WISEHOSTING_DATA_DIR: dir, [name]: value } });
    expect(msg).toContain(key);
  });

  it("a missing config file, invalid YAML, a non-mapping document", async () => {
    expect(await loadError({ configPath: path.join(dir, "nope.yaml"), env: {} })).toContain("nope.yaml");
    let file = await yamlFile("server: [unclosed\n");
    expect(await loadError({ configPath: file, env: {} })).toContain("not valid YAML");
    file = await yamlFile("- a\n- b\n");
    expect(await loadError({ configPath: file, env: {} })).toContain("mapping");
  });

  it("TLS certificate without key, unknown default plan, malformed plan", async () => {
    expect(await loadError({ env: { WISEHOSTING_DATA_DIR: dir, WISEHOSTING_TLS_CERT: "/x" } })).toContain(
      "server.tls_key",
    );
    expect(
      await loadError({ env: { WISEHOSTING_DATA_DIR: dir, WISEHOSTING_AUTH_DEFAULT_PLAN: "gold" } }),
    ).toContain("auth.default_plan");
    const file = await yamlFile(`data_dir: ${dir}\nplans:\n  free:\n    max_apps: 0\n`);
    expect(await loadError({ configPath: file, env: {} })).toContain("plans.free");
  });
});

describe("redaction", () => {
  it("keeps no secret in what may be logged", async () => {
    const config = await loadConfig({
      env: {
        WISEHOSTING_DATA_DIR: dir,
        WISEHOSTING_SECRET: SECRET,
        DATABASE_URL: "postgres://u:hunter2hunter2@h:5432/d",
      },
    });
    const text = JSON.stringify(redactConfig(config));
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(config.proxy.token);
    expect(text).not.toContain("hunter2hunter2");
    expect(text).toContain("postgres://u@h:5432/d");
  });
});
