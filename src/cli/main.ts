#!/usr/bin/env node
import { parseArgs } from "node:util";
import { stripANSI } from "../api/log-sanitize.js";
import { CliError, UsageError } from "./cli-errors.js";
import { runWorkers } from "./commands/admin.js";
import { runApps } from "./commands/apps.js";
import { runLogin, runSignup, runLogout, runWhoami } from "./commands/auth.js";
import { runDeploy } from "./commands/deploy.js";
import { runDomains } from "./commands/domains.js";
import { runLogs } from "./commands/logs.js";
import { runAlerts, runUsage } from "./commands/observe.js";
import { runWebhooks } from "./commands/webhooks.js";
import { processIO, type CliIO } from "./context.js";
import { runAgentCommand } from "./agent-command.js";
import { runServerCommand } from "./server-command.js";
import { runWorkerCommand } from "./worker-command.js";

const USAGE = `usage: wisehosting <command> [options]

account:
  login [--server URL] [--email E] [--password-stdin] [--totp CODE]
                           log in and store an API token for this machine
  signup [--server URL] [--email E] [--password-stdin] [--invite TOKEN]
                           create an account (the first one is the admin), then log in as above
  logout                   revoke the stored token and forget it
  whoami                   the account, its plan and what it uses

apps:
  apps list|create|info|delete|env set|env unset|env list|restart|stop|start
  deploy [DIR] [--app SLUG] [--image REF] [--no-wait]
                           build DIR (its Containerfile/Dockerfile) or run an image, wait, print the URL
  logs APP [-f] [--tail N] the app's output
  domains add|verify|list|remove APP [HOSTNAME]
  usage APP [--since 24h]  CPU, memory and network in 5-minute buckets
  alerts [--status active|resolved]
  webhooks add URL --events a,b | list | remove ID | test ID

operators:
  workers list             the worker fleet (admin)
  worker join-token [--ttl 1h]
                           a single-use token for registering a new worker (admin or master secret)
  server [--config FILE]   run the control plane (config also from WISEHOSTING_CONFIG and WISEHOSTING_* variables)
  agent --server URL [--join-token T] [--name N] [--data-dir DIR] ...
                           run a worker agent (apps in Podman); see wisehosting agent --help

common options:
  --server URL             the control plane (else WISEHOSTING_SERVER, else the one logged in to)
  --json                   print the API's JSON instead of tables
  -h, --help               help for a command: wisehosting <command> --help

WISEHOSTING_TOKEN, when set, is used instead of the stored token.
Exit codes: 0 ok, 1 failure (the API's message on stderr), 2 bad command line.
`;

type Runner = (args: string[], io: CliIO) => Promise<void>;

const COMMANDS: Record<string, Runner> = {
  login: runLogin,
  signup: runSignup,
  logout: runLogout,
  whoami: runWhoami,
  apps: runApps,
  app: runApps,
  deploy: runDeploy,
  logs: runLogs,
  domains: runDomains,
  alerts: runAlerts,
  webhooks: runWebhooks,
  usage: runUsage,
  workers: runWorkers,
  worker: runWorkerCommand,
  agent: runAgentCommand,
};

/**
 * The `wisehosting` binary: one entry, a subcommand per mode. Unknown
 * commands and bad options exit 2 with the usage; errors the user can act
 * on (CliError, including the API's own messages) exit 1 with one line on
 * stderr; anything else is a bug and prints its stack.
 */
async function main(argv: string[], io: CliIO): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "-h" || command === "--help" || command === "help") {
    io.stdout.write(USAGE);
    return;
  }
  if (command === "server") {
    const { values } = parseArgs({
      args: rest,
      options: { config: { type: "string", short: "c" } },
      allowPositionals: false,
    });
    await runServerCommand({ configPath: values.config });
    return;
  }
  const run = COMMANDS[command];
  if (!run) throw new UsageError(`unknown command "${command}"`, USAGE);
  await run(rest, io);
}

function fail(io: CliIO, err: unknown): never {
  if (err instanceof UsageError) {
    io.stderr.write(`wisehosting: ${stripANSI(err.message)}\n\n${err.usage}`);
    process.exit(2);
  }
  if (err instanceof CliError) {
    io.stderr.write(`wisehosting: ${stripANSI(err.message)}\n`);
    process.exit(err.exitCode);
  }
  if (err instanceof TypeError && (err as NodeJS.ErrnoException).code?.startsWith("ERR_PARSE_ARGS")) {
    io.stderr.write(`wisehosting: ${err.message}\n\n${USAGE}`);
    process.exit(2);
  }
  io.stderr.write(`wisehosting: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}

const io = processIO();
// stdout closed early (`wisehosting logs app | head`): stop quietly, as other CLIs do.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
});
main(process.argv.slice(2), io).then(
  () => {
    // Commands leave no timers or sockets behind on purpose, but a stream the
    // server keeps open must not hold the process: exit once output is flushed.
    // `server` and `agent` keep running until a signal.
    if (process.argv[2] !== "server" && process.argv[2] !== "agent") {
      process.stdout.write("", () => process.exit(0));
    }
  },
  (err: unknown) => fail(io, err),
);
