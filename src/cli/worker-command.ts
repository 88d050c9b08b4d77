import { loadConfig } from "../config/load.js";
import { ConfigError } from "../errors.js";
import { UsageError } from "./cli-errors.js";
import { runJoinTokenViaApi, joinTokenTtl } from "./commands/admin.js";
import { parseCommand, positionals, processIO, resolveSession, type CliIO } from "./context.js";

export const WORKER_USAGE = `usage: wisehosting worker join-token [--ttl 1h] [--server URL] [--config FILE] [--json]

Creates a single-use join token for registering one new worker, and prints it
once (the command to run on the new machine goes to stderr). It is stored
only as its SHA-256 and expires after --ttl (default 1h, at most 7d).

Two ways to authorise it:
  - with the master secret, on the control-plane host: used when
    WISEHOSTING_SECRET is set, when --config FILE is given, and when you are
    not logged in. The secret and the listen address come from that
    configuration (WISEHOSTING_* variables, or the secret file in the data
    directory); --server overrides the address.
  - otherwise as the logged-in admin (\`wisehosting login\`, or
    WISEHOSTING_TOKEN): the user API's POST /api/v1/admin/join-tokens.
`;

/** The local address of the control plane that `listen` binds. */
function localUrl(listen: string, tls: boolean): string {
  const i = listen.lastIndexOf(":");
  let host = listen.slice(0, i);
  if (host === "0.0.0.0") host = "127.0.0.1";
  if (host === "[::]" || host === "::") host = "[::1]";
  return `${tls ? "https" : "http"}://${host}:${listen.slice(i + 1)}`;
}

/**
 * `wisehosting worker join-token`: with the master secret (the worker API's
 * route, as before) when WISEHOSTING_SECRET or --config names it or when
 * there is no login, so the control-plane host needs no user account to add
 * a worker; otherwise through the user API as the logged-in admin.
 */
export async function runWorkerCommand(args: string[], io: CliIO = processIO()): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === "-h" || sub === "--help") return void io.stdout.write(WORKER_USAGE);
  if (sub !== "join-token") throw new UsageError(`unknown worker command "${sub ?? ""}"`, WORKER_USAGE);
  const { values, positionals: pos } = parseCommand(
    rest,
    { ttl: { type: "string", default: "1h" }, config: { type: "string" } },
    WORKER_USAGE,
  );
  if (values.help) return void io.stdout.write(WORKER_USAGE);
  positionals(pos, [], WORKER_USAGE);
  const ttl = joinTokenTtl(values.ttl, WORKER_USAGE);
  if (!io.env.WISEHOSTING_SECRET && values.config === undefined) {
    const session = await resolveSession(io, values.server).catch(() => null);
    if (session) return runJoinTokenViaApi(io, { server: values.server, ttl, json: values.json });
  }
  await runJoinTokenWithSecret({ ttl, config: values.config, server: values.server });
}

/** The master-secret path: POST /v1/workers/join-tokens on the control plane itself. */
async function runJoinTokenWithSecret(values: {
  ttl: number;
  config: string | undefined;
  server: string | undefined;
}): Promise<void> {
  const ttl = values.ttl;
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
