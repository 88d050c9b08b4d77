import os from "node:os";
import path from "node:path";

import { Agent } from "../agent/agent.js";
import { PodmanRuntime } from "../agent/runtime/podman.js";
import { createLogger } from "../log.js";
import { CliError, UsageError } from "./cli-errors.js";
import { intOption, parseCommand, positionals, processIO, type CliIO } from "./context.js";
import { SHUTDOWN_DEADLINE_MS } from "./server-command.js";

export const AGENT_USAGE = `usage: wisehosting agent --server URL [--join-token T] [--name N] [--zone Z]
                        [--wireguard-ip IP] [--data-dir DIR] [--cpu-millicores N] [--memory-mb N]
                        [--podman-arg ARG]... [--containers-conf FILE]

Runs a worker: registers with the control plane at --server on its first run
(with --join-token, or the master secret from WISEHOSTING_SECRET), keeps the
worker's API key in DIR/api-key (default ./agent-data), and runs the apps the
control plane places on it in Podman. Later runs reuse the key and need no
token. SIGINT or SIGTERM stops the agent; the apps keep running and are
adopted by the next start.

  --name N              worker name (default: this host's name)
  --zone Z              placement zone (default "default")
  --wireguard-ip IP     where apps are published and the proxy reaches them (default 127.0.0.1)
  --cpu-millicores N    CPU offered (default: all CPUs)
  --memory-mb N         memory offered (default: all but 10%, at least 512 MB, kept back)
  --podman-arg ARG      a global podman argument, repeatable (e.g. --podman-arg=--root=/x)
  --containers-conf F   passed to podman as CONTAINERS_CONF
`;

/** The host name as a worker name: lowercase, `[a-z0-9-]`, at most 63 characters. */
function defaultName(): string {
  const n = os
    .hostname()
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+/, "")
    .slice(0, 63);
  return n === "" ? "worker" : n;
}

/**
 * `wisehosting agent`: starts the agent and returns; it runs until SIGINT or
 * SIGTERM, which stop it within the shutdown deadline (a second signal exits
 * at once). Containers are never stopped by this.
 */
export async function runAgentCommand(args: string[], io: CliIO = processIO()): Promise<void> {
  const { values, positionals: pos } = parseCommand(
    args,
    {
      "join-token": { type: "string" },
      name: { type: "string" },
      zone: { type: "string" },
      "wireguard-ip": { type: "string" },
      "data-dir": { type: "string" },
      "cpu-millicores": { type: "string" },
      "memory-mb": { type: "string" },
      "podman-arg": { type: "string", multiple: true },
      "containers-conf": { type: "string" },
    },
    AGENT_USAGE,
  );
  if (values.help) return void io.stdout.write(AGENT_USAGE);
  positionals(pos, [], AGENT_USAGE);
  const server = values.server ?? io.env.WISEHOSTING_SERVER;
  if (!server) throw new UsageError("--server URL is required", AGENT_USAGE);
  if (!/^https?:\/\//i.test(server)) throw new UsageError("--server must be an http(s):// URL", AGENT_USAGE);
  const cpu = intOption(values["cpu-millicores"], "cpu-millicores", AGENT_USAGE);
  const memory = intOption(values["memory-mb"], "memory-mb", AGENT_USAGE);
  const bearer = values["join-token"] ?? io.env.WISEHOSTING_SECRET;
  const log = createLogger(io.env.WISEHOSTING_LOG_LEVEL ?? "info");
  const runtime = new PodmanRuntime({
    globalArgs: values["podman-arg"] ?? [],
    ...(values["containers-conf"] ? { containersConf: values["containers-conf"] } : {}),
  });
  const agent = new Agent({
    serverUrl: server,
    dataDir: path.resolve(values["data-dir"] ?? "./agent-data"),
    name: values.name ?? defaultName(),
    runtime,
    log,
    ...(values.zone ? { zone: values.zone } : {}),
    ...(values["wireguard-ip"] ? { wireguardIp: values["wireguard-ip"] } : {}),
    ...(cpu !== undefined ? { cpuMillicores: cpu } : {}),
    ...(memory !== undefined ? { memoryMb: memory } : {}),
    ...(bearer ? { bearer } : {}),
  });
  try {
    await agent.start();
  } catch (err) {
    // Registration refused or unreachable, no token on a first run, an unreadable key file.
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : "";
    throw new CliError(
      `the agent did not start: ${err instanceof Error ? err.message : String(err)}${cause}`,
    );
  }
  io.stdout.write(`wisehosting agent "${values.name ?? defaultName()}" is running against ${server}\n`);

  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) process.exit(1);
    signalled = true;
    log.info({ signal }, "agent shutting down (apps keep running)");
    setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref();
    agent.stop().then(
      () => {
        log.flush();
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, "agent shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}
