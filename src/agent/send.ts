import type { PayloadInput, WorkerMessageSchemas, WorkerMessageType } from "../protocol/messages.js";
import { LOG_RATE_BYTES_PER_SEC, TokenBucket } from "../api/token-bucket.js";

/**
 * Sends one message on the agent's current connection, signed. Returns false
 * (and sends nothing) while the agent is not connected; callers decide
 * whether that loses the message (stats, logs) or keeps it for later (job
 * results).
 */
export type Send = <T extends WorkerMessageType>(
  type: T,
  payload: PayloadInput<WorkerMessageSchemas, T>,
) => boolean;

export type SetTimer = (fn: () => void, ms: number) => NodeJS.Timeout;
export type ClearTimer = (t: NodeJS.Timeout) => void;

/** Bytes the agent's own budget allows at once: a quarter of the server's 1 MiB burst. */
export const AGENT_LOG_BURST_BYTES = 256 * 1024;

/**
 * The agent's budget for log bytes (runtime and build logs share it, as the
 * server's bucket does). It is charged at least the payload bytes the server
 * charges, at the server's sustained rate with a smaller burst, so what the
 * agent sends is never `rate_limited`.
 */
export function logBudget(now?: () => number): TokenBucket {
  return new TokenBucket({
    ratePerSec: LOG_RATE_BYTES_PER_SEC,
    burst: AGENT_LOG_BURST_BYTES,
    ...(now ? { now } : {}),
  });
}
