import type { PayloadInput, WorkerMessageSchemas } from "../../protocol/messages.js";
import type { AppStatsEntry } from "../../protocol/messages-worker.js";
import type { JobPayload } from "../../protocol/messages-server.js";

/**
 * The pretend state of a simulated worker: which apps it "runs", and the
 * plausible numbers it reports about them. Pure functions over plain data;
 * randomness comes in as a parameter so tests can pin it.
 */

/** An app the simulated worker runs: the result of its last successful deploy. */
export interface SimApp {
  appId: number;
  deploymentId: number;
  cpuMillicores: number;
  memoryMb: number;
  containerId: string;
  /** Grows with every `app_stats` report, like a real counter. */
  netTotalBytes: number;
}

/** What the simulation makes of a job: success or not, after how long, with which logs. */
export interface JobOutcome {
  success: boolean;
  /** Delay between `job_status` and `job_result`; defaults to 0. */
  delayMs?: number;
  /** Sent as `error` when `success` is false; defaults to "simulated failure". */
  error?: string;
  logs?: string;
  /** Defaults to `sim-<slug>-<deployment id>` for a successful deploy or restart. */
  containerId?: string;
}

export type JobResultInput = PayloadInput<WorkerMessageSchemas, "job_result">;

/**
 * Applies a finished job to `apps` and returns the `job_result` payload.
 * A successful deploy (re)places the app; a successful stop or delete removes
 * it, unless it carries the `deployment_id` of an older deployment (retiring
 * a drained container leaves the current one running); restart keeps it.
 */
export function finishJob(apps: Map<number, SimApp>, job: JobPayload, outcome: JobOutcome): JobResultInput {
  const current = apps.get(job.app.id);
  let containerId: string | null = null;
  if (outcome.success) {
    if (job.type === "deploy") {
      containerId = outcome.containerId ?? `sim-${job.app.slug}-${job.deploy.deployment_id}`;
      apps.set(job.app.id, {
        appId: job.app.id,
        deploymentId: job.deploy.deployment_id,
        cpuMillicores: job.deploy.cpu_millicores,
        memoryMb: job.deploy.memory_mb,
        containerId,
        netTotalBytes: current?.netTotalBytes ?? 0,
      });
    } else if (job.type === "restart") {
      containerId = outcome.containerId ?? current?.containerId ?? `sim-${job.app.slug}-restarted`;
    } else if (job.deployment_id === undefined || job.deployment_id === current?.deploymentId) {
      apps.delete(job.app.id);
    }
  }
  return {
    job_id: job.job_id,
    success: outcome.success,
    error: outcome.success ? null : (outcome.error ?? "simulated failure"),
    logs: outcome.logs ?? `simulated ${job.type} of ${job.app.slug}: ${outcome.success ? "ok" : "failed"}\n`,
    container_id: containerId,
  };
}

/** One app's `app_stats` entry: CPU within its share, memory under its limit, a little traffic. */
export function fakeAppStats(app: SimApp, intervalS: number, random: () => number): AppStatsEntry {
  const limitBytes = app.memoryMb * 1024 * 1024;
  const netMbps = round(random() * 2, 3);
  app.netTotalBytes += Math.round((netMbps * 1_000_000 * intervalS) / 8);
  return {
    app_id: app.appId,
    cpu_pct: round(random() * (app.cpuMillicores / 10), 2),
    mem_bytes: Math.round(limitBytes * (0.2 + random() * 0.5)),
    mem_limit_bytes: limitBytes,
    net_mbps: netMbps,
    net_total_bytes: app.netTotalBytes,
    disk_mbps: round(random() * 0.5, 3),
  };
}

export interface HeartbeatInput {
  cpuMillicores: number;
  memoryMb: number;
  apps: Iterable<SimApp>;
  uptimeS: number;
  agentVersion: string;
  random: () => number;
}

/** A `heartbeat` payload consistent with the apps: memory and CPU grow with what runs. */
export function fakeHeartbeat(input: HeartbeatInput): PayloadInput<WorkerMessageSchemas, "heartbeat"> {
  let appCpu = 0;
  let appMem = 0;
  let running = 0;
  for (const app of input.apps) {
    appCpu += app.cpuMillicores;
    appMem += app.memoryMb;
    running += 1;
  }
  const busy = Math.min(1, appCpu / Math.max(1, input.cpuMillicores));
  const memUsed = Math.min(input.memoryMb, 256 + Math.round(appMem * (0.3 + input.random() * 0.3)));
  return {
    cpu_pct: round(Math.min(100, 2 + busy * 40 + input.random() * 5), 2),
    mem_used_mb: memUsed,
    mem_total_mb: input.memoryMb,
    disk_used_mb: 2_000 + running * 300,
    disk_total_mb: 50_000,
    running_apps: running,
    agent_version: input.agentVersion,
    uptime_s: Math.max(0, Math.round(input.uptimeS)),
  };
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
