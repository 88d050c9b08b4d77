import { parseTtl } from "../../api/worker-registration.js";
import { seg } from "../api-client.js";
import { UsageError } from "../cli-errors.js";
import { authedApi, parseCommand, positionals, type CliIO } from "../context.js";
import { formatBytes, formatNumber, formatTime, printList, type Column } from "../table.js";

/** `alerts` and `usage`: read-only views of what the platform measured. */

export const ALERTS_USAGE = `usage: wisehosting alerts [--status active|resolved] [--json] [--server URL]

Alerts on your apps (threshold breaches, crash loops, ...), newest first.
`;
export const USAGE_USAGE = `usage: wisehosting usage APP [--since 24h] [--json] [--server URL]

CPU, memory and network use of the app in 5-minute buckets since --since
(like 30m, 6h, 7d; at most 90d).
`;

interface Alert {
  id: number;
  app: string | null;
  kind: string;
  severity: string;
  status: string;
  title: string;
  value: number | null;
  threshold: number | null;
  created_at: string;
  resolved_at: string | null;
}

interface Bucket {
  start: string;
  cpu_pct_avg: number | null;
  cpu_pct_max: number | null;
  mem_bytes_avg: number | null;
  mem_bytes_max: number | null;
  net_mbps_avg: number | null;
  net_mbps_max: number | null;
  net_bytes: number | null;
}

const ALERT_COLUMNS: Column<Alert>[] = [
  { header: "ID", value: (a) => a.id, right: true },
  { header: "APP", value: (a) => a.app },
  { header: "SEVERITY", value: (a) => a.severity },
  { header: "STATUS", value: (a) => a.status },
  { header: "KIND", value: (a) => a.kind },
  { header: "TITLE", value: (a) => a.title },
  { header: "SINCE", value: (a) => formatTime(a.created_at) },
  { header: "RESOLVED", value: (a) => formatTime(a.resolved_at) },
];

const BUCKET_COLUMNS: Column<Bucket>[] = [
  { header: "START", value: (b) => formatTime(b.start) },
  { header: "CPU% AVG", value: (b) => formatNumber(b.cpu_pct_avg), right: true },
  { header: "CPU% MAX", value: (b) => formatNumber(b.cpu_pct_max), right: true },
  { header: "MEM AVG", value: (b) => formatBytes(b.mem_bytes_avg), right: true },
  { header: "MEM MAX", value: (b) => formatBytes(b.mem_bytes_max), right: true },
  { header: "NET Mbps AVG", value: (b) => formatNumber(b.net_mbps_avg, 2), right: true },
  { header: "NET Mbps MAX", value: (b) => formatNumber(b.net_mbps_max, 2), right: true },
  { header: "NET BYTES", value: (b) => formatBytes(b.net_bytes), right: true },
];

export async function runAlerts(args: string[], io: CliIO): Promise<void> {
  const { values, positionals: pos } = parseCommand(args, { status: { type: "string" } }, ALERTS_USAGE);
  if (values.help) return void io.stdout.write(ALERTS_USAGE);
  positionals(pos, [], ALERTS_USAGE);
  if (values.status !== undefined && values.status !== "active" && values.status !== "resolved") {
    throw new UsageError(`--status must be active or resolved, not "${values.status}"`, ALERTS_USAGE);
  }
  const api = await authedApi(io, values.server);
  const body = await api.get<{ alerts: Alert[] }>("/alerts", { status: values.status });
  printList(io, values.json, body, ALERT_COLUMNS, body.alerts, "no alerts");
}

/** `--since` as a start time: a duration back from `now`, at most 90 days. */
export function sinceToFrom(since: string, now: Date, usage: string): Date {
  const seconds = parseTtl(since);
  if (seconds === null || seconds < 60 || seconds > 90 * 86400) {
    throw new UsageError(`--since must look like 30m, 24h or 7d (1m to 90d), not "${since}"`, usage);
  }
  return new Date(now.getTime() - seconds * 1000);
}

export async function runUsage(args: string[], io: CliIO): Promise<void> {
  const { values, positionals: pos } = parseCommand(args, { since: { type: "string" } }, USAGE_USAGE);
  if (values.help) return void io.stdout.write(USAGE_USAGE);
  const [slug] = positionals(pos, ["app"], USAGE_USAGE);
  const now = new Date();
  const from = sinceToFrom(values.since ?? "24h", now, USAGE_USAGE);
  const api = await authedApi(io, values.server);
  const body = await api.get<{ bucket_seconds: number; buckets: Bucket[] }>(`/apps/${seg(slug!)}/usage`, {
    from: from.toISOString(),
    to: now.toISOString(),
  });
  printList(io, values.json, body, BUCKET_COLUMNS, body.buckets, "no usage recorded in that period");
}
