/**
 * The shapes of the account, webhook and admin routes, written to match the
 * zod schemas in src/web/routes/{me,session,token,webhook,admin,admin-account}-routes.ts.
 */
import type { User } from "./types";

/** POST /me/totp/setup: the secret is shown during set-up only. */
export interface TotpSetup {
  secret: string;
  otpauth_url: string;
  expires_at: string;
}

export interface WebSession {
  id: number;
  ip: string | null;
  user_agent: string | null;
  created_at: string;
  last_used_at: string;
  expires_at: string | null;
  /** The session this page is using. */
  current: boolean;
}

export interface ApiToken {
  id: number;
  name: string;
  created_at: string;
  last_used_at: string;
  expires_at: string | null;
}

/** POST /tokens: the token itself is in this response only. */
export interface CreatedApiToken extends ApiToken {
  token: string;
}

export interface Webhook {
  id: number;
  /** Redacted by the server: path, query and credentials elided. */
  url: string;
  events: string[];
  enabled: boolean;
  created_at: string;
}

export interface WebhookDelivery {
  id: number;
  event_id: string;
  event_type: string;
  status: "pending" | "succeeded" | "failed";
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
  next_attempt_at: string | null;
}

export interface WebhookTestResult {
  delivered: boolean;
  status_code: number | null;
  error: string | null;
}

export interface Worker {
  id: number;
  name: string;
  zone: string;
  status: "online" | "offline";
  wireguard_ip: string | null;
  public_ip: string | null;
  cpu_millicores: number;
  memory_mb: number;
  used_cpu_millicores: number;
  used_memory_mb: number;
  running_apps: number;
  agent_version: string | null;
  last_heartbeat: string | null;
}

export interface JoinToken {
  token: string;
  expires_at: string;
  command: string;
  /** The control plane's configured public URL: what workers must reach (not this page's origin). */
  server: string;
}

export interface AdminStats {
  workers: { total: number; online: number; offline: number };
  capacity: {
    cpu_millicores_total: number;
    cpu_millicores_used: number;
    memory_mb_total: number;
    memory_mb_used: number;
  };
  apps: { total: number; by_status: Record<string, number> };
  users: { total: number; admins: number };
}

export interface Plan {
  name: string;
  max_apps: number;
  max_cpu_millicores: number;
  max_memory_mb: number;
  users?: number;
  /** Built in or in the config file: the server re-applies its limits at start-up. */
  configured: boolean;
  updated_at: string;
}

export interface AdminUser extends User {
  apps: number;
}

export interface Invite {
  id: number;
  email: string | null;
  plan: string | null;
  created_by: number | null;
  created_at: string;
  expires_at: string;
}

/** POST /admin/invites: the token is in this response only. */
export interface CreatedInvite extends Invite {
  token: string;
}
