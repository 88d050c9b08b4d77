import { z } from "zod";
import { isIP } from "node:net";

const NAME_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;

const ipLiteral = z.string().refine((s) => isIP(s) !== 0, "must be an IPv4 or IPv6 literal");

/**
 * Body of POST /v1/workers/register (worker protocol §2). Unknown fields are
 * ignored; every known one is checked, and the first failure names its field.
 */
export const registerRequestSchema = z.object({
  name: z.string().regex(NAME_RE, "must be 1-63 characters of [a-z0-9-], starting with a letter or digit"),
  api_key: z.string().regex(/^[0-9a-f]{64}$/, "must be exactly 64 lowercase hex characters"),
  zone: z
    .string()
    .regex(NAME_RE, "must be 1-63 characters of [a-z0-9-], starting with a letter or digit")
    .default("default"),
  wireguard_ip: ipLiteral.nullish(),
  public_ip: ipLiteral.nullish(),
  cpu_millicores: z.number().int().positive().max(10_000_000),
  memory_mb: z.number().int().positive().max(1_000_000_000),
  agent_version: z.string().max(64).nullish(),
});
export type RegisterRequest = z.infer<typeof registerRequestSchema>;

export const joinTokenRequestSchema = z.object({
  ttl_s: z
    .number()
    .int()
    .min(60)
    .max(30 * 24 * 3600)
    .default(3600),
});

/** Time-to-live strings as the CLI takes them: `90s`, `15m`, `1h`, `7d`. */
export function parseTtl(text: string): number | null {
  const m = /^(\d{1,7})([smhd])$/.exec(text.trim());
  if (!m) return null;
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as "s" | "m" | "h" | "d"];
  return Number(m[1]) * unit;
}
