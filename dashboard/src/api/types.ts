/**
 * The shapes the dashboard reads from /api/v1, written to match the server's
 * response schemas (src/web/routes/*-dto.ts and the routes' zod schemas; the
 * OpenAPI document at /api/v1/openapi.json is generated from the same).
 */

export interface User {
  id: number;
  email: string;
  is_admin: boolean;
  plan: string;
  totp_enabled: boolean;
  created_at: string;
}

export interface SessionResponse {
  user: User;
}

export type SignupMode = "first" | "open" | "invite";

export interface App {
  id: number;
  name: string;
  slug: string;
  status: string;
  url: string;
  cpu_millicores: number;
  memory_mb: number;
  zone: string | null;
  worker: { id: number; name: string } | null;
  current_deployment_id: number | null;
  env_names: string[];
  created_at: string;
  updated_at: string;
}

export interface Me {
  user: User;
  plan: { name: string; max_apps: number; max_cpu_millicores: number; max_memory_mb: number };
  usage: { apps: number; cpu_millicores: number; memory_mb: number };
}
