import { access, constants } from "node:fs/promises";
import path from "node:path";

import type { Config } from "../config/schema.js";
import type { Service } from "../lifecycle.js";
import type { Logger } from "../log.js";
import { Agent } from "./agent.js";
import type { ContainerRuntime } from "./runtime/runtime.js";
import { PodmanRuntime } from "./runtime/podman.js";

/** True when an executable `name` is in one of PATH's directories. */
export async function onPath(name: string, envPath: string | undefined): Promise<boolean> {
  for (const dir of (envPath ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    try {
      await access(path.join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/** Whether all-in-one mode runs: `on`, `off`, or `auto` = Podman on PATH and the embedded database. */
export async function localWorkerEnabled(config: Config, env: NodeJS.ProcessEnv): Promise<boolean> {
  if (config.local_worker === "off") return false;
  if (config.local_worker === "on") return true;
  return !config.database.url && (await onPath("podman", env.PATH));
}

/**
 * The in-process worker of all-in-one mode, as a Service placed after the
 * HTTP listener: `start` builds an Agent against the server's own URL (read
 * from `url()` then, once the listener is bound), registered with the master
 * secret as `local`, publishing on 127.0.0.1, with its data under
 * `<data_dir>/agent`; `stop` stops it (before the listener closes, as the
 * reverse order does). In `auto` mode a local worker that cannot start is
 * logged and left out rather than failing the server. The apps keep running across server restarts.
 */
export class LocalWorker implements Service {
  readonly name = "local-worker";
  readonly #o: { config: Config; log: Logger; url: () => string; runtime?: ContainerRuntime };
  #agent: Agent | undefined;

  constructor(options: { config: Config; log: Logger; url: () => string; runtime?: ContainerRuntime }) {
    this.#o = options;
  }

  get agent(): Agent | undefined {
    return this.#agent;
  }

  async start(): Promise<void> {
    if (this.#agent) return;
    const { config, log } = this.#o;
    const agent = new Agent({
      serverUrl: this.#o.url(),
      dataDir: path.resolve(config.data_dir, "agent"),
      name: "local",
      wireguardIp: "127.0.0.1",
      bearer: config.api_server.secret,
      runtime: this.#o.runtime ?? new PodmanRuntime(),
      log: log.child({ component: "local-worker" }),
    });
    try {
      await agent.start();
    } catch (err) {
      // `auto` must not keep the control plane from starting; `on` insists.
      if (config.local_worker === "on") throw err;
      log.error({ err }, "the local worker did not start; the control plane runs without it");
      return;
    }
    this.#agent = agent;
  }

  async stop(): Promise<void> {
    const agent = this.#agent;
    this.#agent = undefined;
    await agent?.stop();
  }
}
