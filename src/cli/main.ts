#!/usr/bin/env node
import { parseArgs } from "node:util";
import { runServerCommand } from "./server-command.js";
import { runWorkerCommand } from "./worker-command.js";

const USAGE = `usage: wisehosting <command> [options]

commands:
  server [--config FILE]   run the control plane (config also from WISEHOSTING_CONFIG and WISEHOSTING_* variables)
  worker join-token [--ttl 1h]
                           create a single-use token for registering a new worker (printed once)

options:
  -h, --help               show this help
`;

/**
 * The `wisehosting` binary: one entry, a subcommand per mode. Unknown
 * commands and options exit 2 with the usage.
 */
async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "-h" || command === "--help" || command === "help") {
    process.stdout.write(USAGE);
    return;
  }
  switch (command) {
    case "server": {
      const { values } = parseArgs({
        args: rest,
        options: { config: { type: "string", short: "c" } },
        allowPositionals: false,
      });
      await runServerCommand({ configPath: values.config });
      return;
    }
    case "worker":
      await runWorkerCommand(rest);
      return;
    default:
      process.stderr.write(`wisehosting: unknown command "${command}"\n\n${USAGE}`);
      process.exit(2);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof TypeError && (err as NodeJS.ErrnoException).code?.startsWith("ERR_PARSE_ARGS")) {
    process.stderr.write(`wisehosting: ${err.message}\n\n${USAGE}`);
    process.exit(2);
  }
  process.stderr.write(`wisehosting: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
