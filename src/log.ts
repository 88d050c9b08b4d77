import { pino, type Logger } from "pino";
import { LOG_REDACT_PATHS } from "./config/redact.js";

export type { Logger };

/**
 * The process logger: JSON lines on stdout, secrets redacted by path. Built
 * once in the composition root and passed down; nothing imports a global one.
 */
export function createLogger(level: string, destination: NodeJS.WritableStream = process.stdout): Logger {
  return pino(
    {
      level,
      base: { service: "wisehosting" },
      redact: { paths: [...LOG_REDACT_PATHS], censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
