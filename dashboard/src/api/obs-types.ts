/**
 * The shapes of the observability routes the dashboard reads (logs, usage,
 * domains, alert rules, alerts), written to match src/web/routes/
 * log-routes.ts, usage-routes.ts, domain-routes.ts and alert-routes.ts.
 */

/** One `log` event of GET /apps/:slug/logs (SSE). */
export interface LogEvent {
  ts: string;
  stream: string;
  line: string;
}

/** One 5-minute bucket of GET /apps/:slug/usage. */
export interface UsageBucket {
  start: string;
  cpu_pct_avg: number;
  cpu_pct_max: number;
  mem_bytes_avg: number;
  mem_bytes_max: number;
  net_mbps_avg: number;
  net_mbps_max: number;
  net_bytes: number;
}

export interface UsageResponse {
  bucket_seconds: number;
  buckets: UsageBucket[];
}

export interface Domain {
  hostname: string;
  verified: boolean;
  verified_at: string | null;
  created_at: string;
  txt_record: { name: string; value: string };
}

export interface DomainResponse {
  domain: Domain;
}

export interface DomainsResponse {
  domains: Domain[];
}

export type AlertRuleKind = "cpu" | "memory" | "network" | "disk" | "offline";

export interface AlertRule {
  kind: AlertRuleKind;
  threshold: number;
  sustain_minutes: number;
  enabled: boolean;
}

export interface AlertRulesResponse {
  rules: AlertRule[];
}

export interface Alert {
  id: number;
  /** The app's slug; null for an alert about no app. */
  app: string | null;
  kind: string;
  severity: string;
  status: "active" | "resolved";
  title: string;
  message: string;
  value: number | null;
  threshold: number | null;
  created_at: string;
  resolved_at: string | null;
}

export interface AlertsResponse {
  alerts: Alert[];
}
