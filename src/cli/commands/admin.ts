import { parseTtl } from "../../api/worker-registration.js";
import { UsageError } from "../cli-errors.js";
import { authedApi, parseCommand, positionals, printJson, safe, type CliIO } from "../context.js";
import { formatTime, printList, type Column } from "../table.js";

/**
 * Operator commands through the user API with the stored token (the account
 * must be an admin, else the API answers 403). `worker join-token` also has
 * a master-secret path for the control-plane host itself (worker-command.ts).
 */

export const WORKERS_USAGE = `usage: wisehosting workers list [--json] [--server URL]

Every worker with its status, zone, capacity and last heartbeat (admin).
`;

interface Worker {
  id: number;
  name: string;
  zone: string;
  status: string;
  public_ip: string | null;
  cpu_millicores: number;
  memory_mb: number;
  used_cpu_millicores: number;
  used_memory_mb: number;
  running_apps: number;
  agent_version: string | null;
  last_heartbeat: string | null;
}

const COLUMNS: Column<Worker>[] = [
  { header: "ID", value: (w) => w.id, right: true },
  { header: "NAME", value: (w) => w.name },
  { header: "STATUS", value: (w) => w.status },
  { header: "ZONE", value: (w) => w.zone },
  { header: "CPU USED", value: (w) => `${w.used_cpu_millicores}/${w.cpu_millicores}m`, right: true },
  { header: "MEMORY USED", value: (w) => `${w.used_memory_mb}/${w.memory_mb} MB`, right: true },
  { header: "APPS", value: (w) => w.running_apps, right: true },
  { header: "VERSION", value: (w) => w.agent_version },
  { header: "LAST HEARTBEAT", value: (w) => formatTime(w.last_heartbeat) },
];

export async function runWorkers(args: string[], io: CliIO): Promise<void> {
  const { values, positionals: pos } = parseCommand(args, {}, WORKERS_USAGE);
  if (values.help || pos.length === 0) return void io.stdout.write(WORKERS_USAGE);
  const [sub, ...rest] = pos;
  if (sub !== "list") throw new UsageError(`unknown workers command "${sub}"`, WORKERS_USAGE);
  positionals(rest, [], WORKERS_USAGE);
  const api = await authedApi(io, values.server);
  const body = await api.get<{ workers: Worker[] }>("/admin/workers");
  printList(
    io,
    values.json,
    body,
    COLUMNS,
    body.workers,
    "no workers: create a join token with `wisehosting worker join-token` and run the agent",
  );
}

/** Seconds of a `--ttl` like 30m, 1h or 7d (1 minute to 7 days), or a UsageError. */
export function joinTokenTtl(text: string, usage: string): number {
  const ttl = parseTtl(text);
  if (ttl === null || ttl < 60 || ttl > 7 * 86400) {
    throw new UsageError(`--ttl must look like 30m, 1h or 7d (1m to 7d), not "${text}"`, usage);
  }
  return ttl;
}

/**
 * `worker join-token` as a logged-in admin: POST /admin/join-tokens. The
 * token alone goes to stdout (for scripts); the command to run on the new
 * machine and the expiry go to stderr.
 */
export async function runJoinTokenViaApi(
  io: CliIO,
  opts: { server: string | undefined; ttl: number; json: boolean | undefined },
): Promise<void> {
  const api = await authedApi(io, opts.server);
  const body = await api.post<{ token: string; expires_at: string; command: string }>("/admin/join-tokens", {
    ttl_s: opts.ttl,
  });
  if (opts.json) return printJson(io, body);
  io.stdout.write(`${safe(body.token)}\n`);
  io.stderr.write(
    `join token created; single use, expires ${formatTime(body.expires_at)}. It is not shown again.\n` +
      `on the new worker run:\n  ${safe(body.command)}\n`,
  );
}
