import { z } from "zod";

import { count, epochMs, id, measure, nonEmpty } from "./schema-parts.js";

/**
 * Payloads a worker sends to the server (worker protocol §5). Unknown fields
 * are stripped. Limits the server applies by cutting (lines per message,
 * bytes per line) are exported as constants and deliberately not enforced
 * here, so an over-long message is truncated rather than refused.
 */

/** The server keeps at most this many lines of one `runtime_log` message and drops the rest. */
export const MAX_RUNTIME_LOG_LINES = 5000;
/** The server cuts each log line to this many bytes. */
export const MAX_LOG_LINE_BYTES = 8 * 1024;
/** Hard schema bound on `runtime_log.lines`; the 2 MiB frame limit is the real bound. */
export const RUNTIME_LOG_LINES_SCHEMA_LIMIT = 100_000;

export const heartbeatPayload = z.object({
  cpu_pct: measure,
  mem_used_mb: count,
  mem_total_mb: count,
  disk_used_mb: count,
  disk_total_mb: count,
  running_apps: count,
  agent_version: nonEmpty,
  uptime_s: measure,
});

export const appStatsEntry = z.object({
  app_id: id,
  cpu_pct: measure,
  mem_bytes: count,
  mem_limit_bytes: count,
  net_mbps: measure,
  net_total_bytes: count,
  disk_mbps: measure,
});

export const appStatsPayload = z.object({
  apps: z.array(appStatsEntry).max(10_000),
});

export const jobStatusPayload = z.object({
  job_id: id,
  status: z.literal("processing"),
});

/** `error`, `logs` and `container_id` may be omitted; they default to null, "" and null. */
export const jobResultPayload = z.object({
  job_id: id,
  success: z.boolean(),
  error: z.string().nullable().default(null),
  logs: z.string().default(""),
  container_id: z.string().nullable().default(null),
});

export const APP_STATUSES = ["running", "stopped", "crashed"] as const;

/** `reason` "crashloop" with status "crashed" means: restarted more than 5 times in 10 minutes. */
export const appStatusPayload = z.object({
  app_id: id,
  status: z.enum(APP_STATUSES),
  reason: z.string().optional(),
  exit_code: z.number().int().nullable().optional(),
});

export const violationPayload = z.object({
  app_id: id,
  reason: nonEmpty,
});

export const runtimeLogLine = z.object({
  app_id: id,
  ts: epochMs,
  stream: z.enum(["stdout", "stderr"]),
  line: z.string(),
});

export const runtimeLogPayload = z.object({
  lines: z.array(runtimeLogLine).max(RUNTIME_LOG_LINES_SCHEMA_LIMIT),
});

export const buildLogPayload = z.object({
  job_id: id,
  logs: z.string(),
});

export type HeartbeatPayload = z.infer<typeof heartbeatPayload>;
export type AppStatsEntry = z.infer<typeof appStatsEntry>;
export type AppStatsPayload = z.infer<typeof appStatsPayload>;
export type JobStatusPayload = z.infer<typeof jobStatusPayload>;
export type JobResultPayload = z.infer<typeof jobResultPayload>;
export type AppStatus = (typeof APP_STATUSES)[number];
export type AppStatusPayload = z.infer<typeof appStatusPayload>;
export type ViolationPayload = z.infer<typeof violationPayload>;
export type RuntimeLogLine = z.infer<typeof runtimeLogLine>;
export type RuntimeLogPayload = z.infer<typeof runtimeLogPayload>;
export type BuildLogPayload = z.infer<typeof buildLogPayload>;
