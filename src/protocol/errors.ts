/**
 * Error codes sent in `error` envelopes (worker protocol §3, §5). The first
 * six are the inbound checks, in the order they are applied.
 */
export const PROTOCOL_ERROR_CODES = [
  "bad_envelope",
  "bad_signature",
  "clock_skew",
  "replay",
  "unknown_type",
  "bad_payload",
  "not_ready",
  "rate_limited",
  "not_found",
] as const;

export type ProtocolErrorCode = (typeof PROTOCOL_ERROR_CODES)[number];

/** An inbound envelope whose `ts` is further than this from our clock is dropped (`clock_skew`). */
export const MAX_CLOCK_SKEW_MS = 60_000;

/** WebSocket close codes the protocol uses. */
export const CLOSE_POLICY_VIOLATION = 1008; // after bad_signature
export const CLOSE_MESSAGE_TOO_BIG = 1009; // frame over MAX_FRAME_BYTES
export const CLOSE_REPLACED = 4000; // a newer connection of the same worker took over
