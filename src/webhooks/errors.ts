import { AppError } from "../errors.js";

/**
 * Coded errors of the webhook subsystem. Messages are safe to show to the
 * webhook's owner: they name the part of a URL that is wrong, never a token,
 * password or secret taken from it.
 *
 * - `webhook_url_invalid`: the URL does not follow the grammar of its scheme
 *   (Shoutrrr's for chat services, plain http(s) otherwise).
 * - `webhook_url_unsupported`: valid Shoutrrr grammar asking for something we
 *   deliberately do not do (custom headers, skipping TLS verification, raw JSON mode).
 * - `webhook_target_blocked`: the SSRF guard refused the destination.
 * - `webhook_resolve_failed`: the destination's host name did not resolve.
 * - `webhook_events_invalid`: the subscription is empty or names an unknown event.
 */
export type WebhookErrorCode =
  | "webhook_url_invalid"
  | "webhook_url_unsupported"
  | "webhook_target_blocked"
  | "webhook_resolve_failed"
  | "webhook_events_invalid";

export class WebhookError extends AppError {
  declare readonly code: WebhookErrorCode;
  constructor(code: WebhookErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export const invalidUrl = (message: string): WebhookError => new WebhookError("webhook_url_invalid", message);
export const unsupportedUrl = (message: string): WebhookError =>
  new WebhookError("webhook_url_unsupported", message);
