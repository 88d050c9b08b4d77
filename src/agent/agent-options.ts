import os from "node:os";

import type { LifecycleLogger } from "../lifecycle.js";
import type { BackoffOptions } from "./backoff.js";
import type { PortProbe } from "./port-probe.js";
import type { RestartPolicy } from "./runtime/restart-policy.js";
import type { ContainerRuntime } from "./runtime/runtime.js";
import type { ClearTimer, SetTimer } from "./send.js";
import type { HostProbe } from "./stats.js";

export interface AgentOptions {
  /** The control plane, `http(s)://host:port[/prefix]`. */
  serverUrl: string;
  /** Holds `api-key` (0600, dir 0700) and transient build contexts. */
  dataDir: string;
  /** The worker's name: 1–63 of `[a-z0-9-]`. */
  name: string;
  zone?: string;
  /** Apps are published on this IP (else 127.0.0.1) and the proxy reaches them there. */
  wireguardIp?: string;
  publicIp?: string;
  /** Capacity offered; defaults to `defaultCapacity()`. */
  cpuMillicores?: number;
  memoryMb?: number;
  /** Master secret or join token: needed only for the first registration (no `api-key` yet). */
  bearer?: string;
  runtime: ContainerRuntime;
  log: LifecycleLogger;
  /** Milliseconds since the epoch; defaults to `Date.now`. */
  now?: () => number;
  /** In [0, 1); jitters reconnects. Defaults to `Math.random`. */
  random?: () => number;
  fetch?: typeof fetch;
  timers?: { set: SetTimer; clear: ClearTimer };
  /** Override `hello.heartbeat_interval_s` / `hello.stats_interval_s` (tests). */
  heartbeatIntervalMs?: number;
  statsIntervalMs?: number;
  backoff?: BackoffOptions;
  /** Refresh the JWT this long before expiry; defaults to 2 minutes. */
  refreshLeadMs?: number;
  connectTimeoutMs?: number;
  /** How long a new container has to answer HTTP; defaults to 60 s. */
  portTimeoutMs?: number;
  probe?: PortProbe;
  /** How long a died container must stay down before it is reported; defaults to 5 s. */
  settleMs?: number;
  /** Restart delays and crash-loop counting; tests pass one with short delays. */
  restartPolicy?: RestartPolicy;
  host?: HostProbe;
  agentVersion?: string;
}

/**
 * The capacity an agent offers when not told: every CPU, and the memory less
 * a reserve for the host of 10 % (at least 512 MiB), never under 128 MiB.
 */
export function defaultCapacity(): { cpuMillicores: number; memoryMb: number } {
  const totalMb = Math.floor(os.totalmem() / (1024 * 1024));
  const reserve = Math.max(512, Math.ceil(totalMb * 0.1));
  return {
    cpuMillicores: Math.max(1, os.cpus().length) * 1000,
    memoryMb: Math.max(128, totalMb - reserve),
  };
}
