import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseYaml, YAMLParseError } from "yaml";
import type { z } from "zod";
import { ConfigError } from "../errors.js";
import { overlayEnv } from "./env.js";
import { configSchema, type Config } from "./schema.js";

export interface LoadConfigOptions {
  /** `--config FILE` from the command line; falls back to WISEHOSTING_CONFIG. */
  configPath?: string | undefined;
  env: NodeJS.ProcessEnv;
}

/**
 * Loads the configuration once: YAML file (if any), overlaid by environment
 * variables, validated by the one schema, then secrets resolved (generated on
 * first start into the data directory, mode 0600, reused afterwards).
 * Every problem is a ConfigError whose message is one line naming the key.
 */
export async function loadConfig(opts: LoadConfigOptions): Promise<Config> {
  const file = opts.configPath ?? (opts.env.WISEHOSTING_CONFIG || undefined);
  const raw = file ? await readYaml(file) : {};
  const sources = new Map<string, string>();
  overlayEnv(raw, opts.env, sources);

  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(describeIssue(result.error, sources, file));
  const parsed = result.data;

  const { tls_cert, tls_key } = parsed.server;
  if ((tls_cert === undefined) !== (tls_key === undefined)) {
    throw new ConfigError("config: server.tls_cert and server.tls_key must be set together");
  }
  if (!(parsed.auth.default_plan in parsed.plans) && !isBuiltinPlan(parsed.auth.default_plan)) {
    throw new ConfigError(`config: auth.default_plan: unknown plan "${parsed.auth.default_plan}"`);
  }

  const dataDir = path.resolve(parsed.data_dir);
  const apiSecret = await resolveSecret(parsed.api_server.secret, dataDir, "secret", "api_server.secret");
  const proxyToken = await resolveSecret(parsed.proxy.token, dataDir, "proxy-token", "proxy.token");
  const scheme = tls_cert ? "https" : "http";

  return {
    ...parsed,
    data_dir: dataDir,
    server: {
      ...parsed.server,
      public_url: parsed.server.public_url ?? `${scheme}://${parsed.server.listen}`,
    },
    api_server: { secret: apiSecret.value },
    proxy: { ...parsed.proxy, token: proxyToken.value },
    secretSources: { api_server: apiSecret.source, proxy: proxyToken.source },
  };
}

function isBuiltinPlan(name: string): boolean {
  return name === "free" || name === "pro" || name === "unlimited";
}

async function readYaml(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new ConfigError(
      `config file ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    const where = err instanceof YAMLParseError ? ` at line ${err.linePos?.[0]?.line ?? "?"}` : "";
    throw new ConfigError(`config file ${file}: not valid YAML${where}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) {
    throw new ConfigError(`config file ${file}: the top level must be a mapping of keys`);
  }
  return doc as Record<string, unknown>;
}

function describeIssue(error: z.ZodError, sources: Map<string, string>, file: string | undefined): string {
  const issue = error.issues[0];
  if (!issue) return "config: invalid";
  const base = issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys.map((k) => (base ? `${base}.${k}` : k));
    return `config${file ? ` file ${file}` : ""}: unknown key ${keys.join(", ")}`;
  }
  const source = sources.get(base);
  const from = source ? ` (from ${source})` : file ? ` (in ${file})` : "";
  return `config: ${base || "(root)"}${from}: ${issue.message}`;
}

interface ResolvedSecret {
  value: string;
  source: string;
}

/**
 * Returns the configured secret, or the one stored in `<dataDir>/<fileName>`,
 * or generates 32 random bytes (hex) into that file with mode 0600. Creation
 * uses O_EXCL so two processes starting at once agree on one value.
 */
async function resolveSecret(
  configured: string | undefined,
  dataDir: string,
  fileName: string,
  key: string,
): Promise<ResolvedSecret> {
  if (configured !== undefined) return { value: configured, source: "configuration" };
  const file = path.join(dataDir, fileName);
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await writeFile(file, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600, flag: "wx" });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EEXIST") throw new ConfigError(`${key}: cannot create ${file} (${code ?? "error"})`);
  }
  let value: string;
  try {
    value = (await readFile(file, "utf8")).trim();
  } catch (err) {
    throw new ConfigError(`${key}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
  if (Buffer.byteLength(value, "utf8") < 32) {
    throw new ConfigError(`${key}: the secret in ${file} must be at least 32 bytes`);
  }
  return { value, source: file };
}
