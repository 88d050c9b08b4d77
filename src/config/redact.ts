import type { Config } from "./schema.js";

const REDACTED = "[redacted]";

/** The database URL without its password, e.g. `postgres://app@db:5432/wh`. */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    const user = u.username ? `${decodeURIComponent(u.username)}@` : "";
    return `${u.protocol}//${user}${u.host}${u.pathname}`;
  } catch {
    return "(unparseable URL)";
  }
}

/** A copy of the configuration that is safe to log: no secret survives. */
export function redactConfig(config: Config): Record<string, unknown> {
  return {
    ...config,
    api_server: { secret: REDACTED },
    proxy: { ...config.proxy, token: REDACTED },
    database: { url: config.database.url ? describeDatabaseUrl(config.database.url) : undefined },
  };
}

/** Pino redaction paths for anything that might carry a secret. */
export const LOG_REDACT_PATHS: readonly string[] = [
  "req.headers.authorization",
  "req.headers.cookie",
  'res.headers["set-cookie"]',
  "config.api_server.secret",
  "config.proxy.token",
  "secret",
  "token",
  "password",
  "api_key",
  "*.secret",
  "*.token",
  "*.password",
  "*.api_key",
];
