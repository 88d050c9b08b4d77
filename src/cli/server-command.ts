import { ConfigError } from "../errors.js";
import { startServer, startupBanner, type RunningServer } from "../main.js";

/** How long an orderly shutdown may take before the process gives up on it. */
export const SHUTDOWN_DEADLINE_MS = 9000;

export interface ServerCommandOptions {
  configPath: string | undefined;
}

/**
 * `wisehosting server`: starts the control plane and runs until SIGINT or
 * SIGTERM. The first signal stops everything in reverse order and exits 0
 * (1 if the deadline passes first); a second signal exits at once. A bad
 * configuration or an unreachable database exits 2 with one line on stderr.
 */
export async function runServerCommand(opts: ServerCommandOptions): Promise<void> {
  let server: RunningServer;
  try {
    server = await startServer({ configPath: opts.configPath, env: process.env });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`wisehosting: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  process.stdout.write(`${startupBanner(server)}\n`);

  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) {
      process.stderr.write(`wisehosting: second ${signal}, exiting now\n`);
      process.exit(1);
    }
    signalled = true;
    server.log.info({ signal }, "shutting down");
    const deadline = setTimeout(() => {
      server.log.error({ deadlineMs: SHUTDOWN_DEADLINE_MS }, "shutdown deadline passed, exiting");
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    server.stop().then(
      () => {
        server.log.info({}, "stopped");
        server.log.flush();
        process.exit(0);
      },
      (err: unknown) => {
        server.log.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}
