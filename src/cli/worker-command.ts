import { parseArgs } from "node:util";
import { parseTtl } from "../api/worker-registration.js";
import { loadConfig } from "../config/load.js";
import { ConfigError } from "../errors.js";

const USAGE = `usage: wisehosting worker join-token [--ttl 1h] [--config FILE] [--server URL]

Creates a single-use join token for registering one new worker, and prints it
once. It is stored only as its SHA-256 and expires after --ttl (default 1h).
Talks to the running control plane with the master secret from the config.
`;

/** The local address of the control plane that `listen` binds. */
function localUrl(listen: string, tls: boolean): string {
  const i = listen.lastIndexOf(":");
  let host = listen.slice(0, i);
  if (host === "0.0.0.0") host = "127.0.0.1";
  if (host === "[::]" || host === "::") host = "[::1]";
  return `${tls ? "https" : "http"}://${host}:${listen.slice(i + 1)}`;
}

/** `wisehosting worker ...` (admin commands that need the master secret). */
export async function runWorkerCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub !== "join-token") {
    process.stderr.write(USAGE);
    process.exit(2);
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      ttl: { type: "string", default: "1h" },
      config: { type: "string" },
      server: { type: "string" },
    },
    allowPositionals: false,
  });
  const ttl = parseTtl(values.ttl);
  if (ttl === null || ttl < 60) {
    process.stderr.write(
      `wisehosting: --ttl must look like 30m, 1h or 7d (at least 1m), not "${values.ttl}"\n`,
    );
    process.exit(2);
  }
  let config;
  try {
    config = await loadConfig({ configPath: values.config, env: process.env });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`wisehosting: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const base = values.server ?? localUrl(config.server.listen, Boolean(config.server.tls_cert));
  let res: Response;
  try {
    res = await fetch(`${base}/v1/workers/join-tokens`, {
      method: "POST",
      headers: { authorization: `Bearer ${config.api_server.secret}`, "content-type": "application/json" },
      body: JSON.stringify({ ttl_s: ttl }),
    });
  } catch (err) {
    process.stderr.write(
      `wisehosting: cannot reach the control plane at ${base} (${(err as Error).message}); is it running?\n`,
    );
    process.exit(1);
  }
  const body = (await res.json().catch(() => ({}))) as {
    token?: string;
    expires_at?: string;
    error?: { message?: string };
  };
  if (!res.ok || !body.token) {
    process.stderr.write(`wisehosting: ${body.error?.message ?? `control plane answered ${res.status}`}\n`);
    process.exit(1);
  }
  process.stdout.write(`${body.token}\n`);
  process.stderr.write(
    `join token created; single use, expires ${body.expires_at}. It is not shown again.\n`,
  );
}
