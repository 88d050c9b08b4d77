import { z } from "zod";

/**
 * The one configuration schema. Every leaf key `section.key` can be set in the
 * YAML file or through the environment variable `WISEHOSTING_SECTION_KEY`
 * (exceptions with fixed names are in ENV_OVERRIDES in env.ts). Objects are
 * strict: an unknown key is an error, not a silent typo.
 */

const HOSTNAME_RE =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const HOST_PORT_RE = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

const secret = z
  .string()
  .refine((s) => Buffer.byteLength(s, "utf8") >= 32, { message: "must be at least 32 bytes" });

const positiveInt = z.number().int().positive();

export const planLimitsSchema = z.strictObject({
  max_apps: positiveInt,
  max_cpu_millicores: positiveInt,
  max_memory_mb: positiveInt,
});
export type PlanLimits = z.infer<typeof planLimitsSchema>;

/** Built-in plans; `plans:` in the config overrides or adds to them. */
export const BUILTIN_PLANS: Readonly<Record<string, PlanLimits>> = {
  free: { max_apps: 3, max_cpu_millicores: 1000, max_memory_mb: 512 },
  pro: { max_apps: 20, max_cpu_millicores: 4000, max_memory_mb: 8192 },
  unlimited: { max_apps: 1000, max_cpu_millicores: 64000, max_memory_mb: 262144 },
};

export const configSchema = z.strictObject({
  server: z
    .strictObject({
      listen: z
        .string()
        .regex(HOST_PORT_RE, "must be host:port")
        .refine((s) => Number(s.slice(s.lastIndexOf(":") + 1)) <= 65535, "port must be at most 65535")
        .default("127.0.0.1:8080"),
      public_url: z.url({ protocol: /^https?$/ }).optional(),
      tls_cert: z.string().min(1).optional(),
      tls_key: z.string().min(1).optional(),
    })
    .prefault({}),
  data_dir: z.string().min(1).default("./data"),
  /**
   * All-in-one mode: also run a worker agent in the server's process against
   * the local Podman. `auto` turns it on when `podman` is on PATH and the
   * embedded database is used.
   */
  local_worker: z.enum(["auto", "on", "off"]).default("auto"),
  database: z
    .strictObject({
      url: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
    })
    .prefault({}),
  api_server: z.strictObject({ secret: secret.optional() }).prefault({}),
  proxy: z
    .strictObject({
      token: secret.optional(),
      base_domain: z
        .string()
        .transform((s) => s.toLowerCase())
        .pipe(z.string().regex(HOSTNAME_RE, "must be a valid DNS name"))
        .default("localhost"),
      entry_points: z
        .array(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/))
        .min(1)
        .default(["web", "websecure"]),
      cert_resolver: z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,64}$/)
        .default("letsencrypt"),
    })
    .prefault({}),
  scheduler: z
    .strictObject({
      interval_ms: positiveInt.default(1000),
      stuck_job_timeout_s: positiveInt.default(900),
    })
    .prefault({}),
  workers: z
    .strictObject({
      heartbeat_timeout_s: positiveInt.default(120),
      health_interval_s: positiveInt.default(60),
    })
    .prefault({}),
  alerts: z.strictObject({ interval_s: positiveInt.default(30) }).prefault({}),
  usage: z
    .strictObject({
      sample_interval_s: positiveInt.default(60),
      retention_days: positiveInt.default(90),
    })
    .prefault({}),
  auth: z
    .strictObject({
      open_signup: z.boolean().default(false),
      default_plan: z.string().min(1).default("free"),
    })
    .prefault({}),
  webhooks: z.strictObject({ allow_private_targets: z.boolean().default(false) }).prefault({}),
  log: z
    .strictObject({
      level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    })
    .prefault({}),
  plans: z
    .record(z.string().regex(/^[a-z0-9-]{1,32}$/, "plan names are [a-z0-9-]{1,32}"), planLimitsSchema)
    .default({}),
});

/** What the schema accepts (the YAML file plus the environment). */
export type ConfigInput = z.input<typeof configSchema>;
/** The schema's output, before secrets are resolved and defaults derived. */
export type ParsedConfig = z.output<typeof configSchema>;

/** The configuration the rest of the program sees: every secret present. */
export interface Config extends Omit<ParsedConfig, "api_server" | "proxy" | "server"> {
  server: ParsedConfig["server"] & { public_url: string };
  api_server: { secret: string };
  proxy: ParsedConfig["proxy"] & { token: string };
  /** Where each secret came from, for the start-up banner (never the value). */
  secretSources: { api_server: string; proxy: string };
}
