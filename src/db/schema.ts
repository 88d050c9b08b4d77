import type { ColumnType, Generated } from "kysely";

/**
 * Kysely's view of the tables created in migrations/. Keep in step with the
 * migrations: a column added there is added here.
 */

/** A timestamptz column with a database default. */
type CreatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface PlansTable {
  name: string;
  max_apps: number;
  max_cpu_millicores: number;
  max_memory_mb: number;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export interface UsersTable {
  id: Generated<number>;
  email: string;
  password_hash: string;
  is_admin: Generated<boolean>;
  plan_name: string;
  totp_secret_enc: string | null;
  totp_enabled: Generated<boolean>;
  totp_last_step: number | null;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export interface SessionsTable {
  id: Generated<number>;
  user_id: number;
  kind: "web" | "api";
  name: string | null;
  token_hash: string;
  ip: string | null;
  user_agent: string | null;
  created_at: CreatedAt;
  last_used_at: CreatedAt;
  expires_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface PendingTotpsTable {
  user_id: number;
  secret_enc: string;
  created_at: CreatedAt;
  expires_at: Timestamp;
}

export type WorkerStatus = "online" | "offline";

export interface WorkersTable {
  id: Generated<number>;
  name: string;
  api_key_hash: string;
  envelope_key_enc: string;
  zone: Generated<string>;
  wireguard_ip: string | null;
  public_ip: string | null;
  status: Generated<WorkerStatus>;
  cpu_millicores: number;
  memory_mb: number;
  used_cpu_millicores: Generated<number>;
  used_memory_mb: Generated<number>;
  running_apps: Generated<number>;
  agent_version: string | null;
  last_heartbeat: NullableTimestamp;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export interface JoinTokensTable {
  id: Generated<number>;
  token_hash: string;
  created_by: number | null;
  created_at: CreatedAt;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
  used_by_worker_id: number | null;
}

export interface InvitesTable {
  id: Generated<number>;
  token_hash: string;
  email: string | null;
  plan_name: string | null;
  created_by: number | null;
  created_at: CreatedAt;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
  used_by: number | null;
}

export type AppStatus =
  | "created"
  | "deploying"
  | "running"
  | "stopped"
  | "crashed"
  | "violated"
  | "failed"
  | "deleting"
  | "deleted";

export interface AppsTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  slug: string;
  status: Generated<AppStatus>;
  env_enc: string | null;
  env_names: Generated<string[]>;
  cpu_millicores: number;
  memory_mb: number;
  zone: string | null;
  worker_id: number | null;
  current_deployment_id: number | null;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export type DeploymentStatus =
  | "pending"
  | "building"
  | "deploying"
  | "running"
  | "failed"
  | "superseded"
  | "stopped";

export interface DeploymentsTable {
  id: Generated<number>;
  app_id: number;
  status: Generated<DeploymentStatus>;
  source_kind: "image" | "archive";
  image: string;
  archive_path: string | null;
  commit_sha: string | null;
  commit_message: string | null;
  env_enc: string | null;
  cpu_millicores: number;
  memory_mb: number;
  internal_port: Generated<number>;
  worker_id: number | null;
  host_port: number | null;
  reserved: Generated<boolean>;
  container_id: string | null;
  build_logs: Generated<string>;
  error: string | null;
  created_at: CreatedAt;
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
}

export interface CustomDomainsTable {
  id: Generated<number>;
  app_id: number;
  hostname: string;
  verification_token: string;
  verified_at: NullableTimestamp;
  created_at: CreatedAt;
}

export type JobType = "deploy" | "restart" | "stop" | "delete";
export type JobStatus = "pending" | "assigned" | "processing" | "completed" | "failed";

export interface JobsTable {
  id: Generated<number>;
  app_id: number;
  deployment_id: number | null;
  type: JobType;
  status: Generated<JobStatus>;
  priority: Generated<number>;
  cpu_millicores: Generated<number>;
  memory_mb: Generated<number>;
  zone: string | null;
  worker_id: number | null;
  host_port: number | null;
  error: string | null;
  container_id: string | null;
  created_at: CreatedAt;
  assigned_at: NullableTimestamp;
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
  updated_at: CreatedAt;
  /** Not to be placed before this time (migration 0002). */
  run_after: CreatedAt;
}

export type AlertRuleKind = "cpu" | "memory" | "network" | "disk" | "offline";

export interface AppAlertRulesTable {
  id: Generated<number>;
  app_id: number;
  kind: AlertRuleKind;
  threshold: number;
  sustain_minutes: number;
  enabled: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export interface AlertsTable {
  id: Generated<number>;
  user_id: number;
  app_id: number | null;
  kind: string;
  severity: Generated<"info" | "warning" | "critical">;
  source_type: string;
  source_id: string;
  status: Generated<"active" | "resolved">;
  title: string;
  message: Generated<string>;
  value: number | null;
  threshold: number | null;
  sustain_minutes: number | null;
  created_at: CreatedAt;
  resolved_at: NullableTimestamp;
}

export interface WebhooksTable {
  id: Generated<number>;
  user_id: number;
  url_enc: string;
  url_display: string;
  secret_enc: string;
  events: string[];
  enabled: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export interface WebhookDeliveriesTable {
  id: Generated<number>;
  webhook_id: number;
  event_id: string;
  event_type: string;
  body: string;
  status: Generated<"pending" | "succeeded" | "failed">;
  attempts: Generated<number>;
  next_attempt_at: CreatedAt;
  last_status_code: number | null;
  last_error: string | null;
  created_at: CreatedAt;
  delivered_at: NullableTimestamp;
}

export interface UsageSamplesTable {
  app_id: number;
  user_id: number;
  bucket_start: Timestamp;
  samples: number;
  cpu_pct_avg: number;
  cpu_pct_max: number;
  mem_bytes_avg: number;
  mem_bytes_max: number;
  net_mbps_avg: number;
  net_mbps_max: number;
  net_bytes_delta: number;
}

export interface DB {
  plans: PlansTable;
  users: UsersTable;
  sessions: SessionsTable;
  pending_totps: PendingTotpsTable;
  workers: WorkersTable;
  join_tokens: JoinTokensTable;
  invites: InvitesTable;
  apps: AppsTable;
  deployments: DeploymentsTable;
  custom_domains: CustomDomainsTable;
  jobs: JobsTable;
  app_alert_rules: AppAlertRulesTable;
  alerts: AlertsTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  usage_samples: UsageSamplesTable;
}
