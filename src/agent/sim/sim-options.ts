import type { LoopLogger } from "../../loop.js";
import type { JobPayload } from "../../protocol/messages-server.js";
import type { RegisterRequest, TokenResponse } from "./http-client.js";
import type { JobOutcome } from "./sim-state.js";
import type { ClearTimer, SetTimer } from "./sim-timers.js";
import type { CloseInfo } from "./worker-connection.js";

/** Decides what a job comes to; may be async (e.g. to wait on a test's signal). */
export type JobBehaviour = (job: JobPayload) => JobOutcome | Promise<JobOutcome>;

export interface SimWorkerOptions {
  baseUrl: string;
  name: string;
  /** Master secret or join token, used only for the first registration. */
  bearer: string;
  /** Generated when missing. */
  apiKey?: string;
  zone?: string;
  wireguardIp?: string;
  publicIp?: string;
  cpuMillicores: number;
  memoryMb: number;
  agentVersion?: string;
  /** What each job comes to; defaults to immediate success. */
  jobBehaviour?: JobBehaviour;
  /** Milliseconds since the epoch; defaults to `Date.now`. */
  now?: () => number;
  setTimer?: SetTimer;
  clearTimer?: ClearTimer;
  /** In [0, 1); drives the fake numbers. Defaults to `Math.random`. */
  random?: () => number;
  /** Override `hello.heartbeat_interval_s` / `hello.stats_interval_s` (tests, benchmarks). */
  heartbeatIntervalMs?: number;
  statsIntervalMs?: number;
  /** Refresh the JWT this long before it expires; defaults to 2 minutes (§2). */
  refreshLeadMs?: number;
  /** Retry a failed refresh after this long; defaults to 10 s. */
  refreshRetryMs?: number;
  connectTimeoutMs?: number;
  fetch?: typeof fetch;
  log?: LoopLogger;
}

export interface SimWorkerEvents {
  /** A job's `job_result` was sent. */
  jobDone: [JobPayload, JobOutcome];
  tokenRefreshed: [TokenResponse];
  /** The socket closed while the worker was started (server close, replaced, network). */
  disconnected: [CloseInfo];
}

/** The body of the first `register`: the sim's identity and capacity. */
export function registrationRequest(o: SimWorkerOptions, apiKey: string): RegisterRequest {
  return {
    name: o.name,
    api_key: apiKey,
    cpu_millicores: o.cpuMillicores,
    memory_mb: o.memoryMb,
    agent_version: o.agentVersion ?? "1.0.0-sim",
    ...(o.zone ? { zone: o.zone } : {}),
    ...(o.wireguardIp ? { wireguard_ip: o.wireguardIp } : {}),
    ...(o.publicIp ? { public_ip: o.publicIp } : {}),
  };
}
