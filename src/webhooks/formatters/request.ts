import type { WebhookPayload } from "../payload.js";

/**
 * What a formatter produces: one HTTP request, as plain data. Sending,
 * the SSRF guard, timeouts and retries are the dispatcher's (DESIGN.md 4.9).
 * `url` is always http(s); header names are lower-case.
 */
export interface OutboundRequest {
  url: string;
  method: "POST" | "PUT" | "PATCH";
  headers: Readonly<Record<string, string>>;
  body: string;
}

/**
 * A chat formatter: a Shoutrrr service URL and an event in, the requests
 * that service expects out. Pure and total over valid URLs; throws
 * WebhookError (`webhook_url_invalid` / `webhook_url_unsupported`) for URLs
 * that do not follow the service's grammar, so the same function validates a
 * URL when a webhook is created.
 *
 * It returns a list because one URL can address several destinations
 * (Telegram's `chats=a,b` sends one message per chat, as Shoutrrr does);
 * every other service returns exactly one request. A delivery succeeds when
 * all of them do, and a retry sends all of them again (at least once).
 */
export type Formatter = (url: string, payload: WebhookPayload) => OutboundRequest[];

export const JSON_TYPE = "application/json";

export function jsonRequest(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): OutboundRequest {
  return {
    url,
    method: "POST",
    headers: { "content-type": JSON_TYPE, ...headers },
    body: JSON.stringify(body),
  };
}
