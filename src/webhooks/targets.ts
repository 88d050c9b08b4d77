import { invalidUrl } from "./errors.js";
import { chatFormatterFor, type OutboundRequest } from "./formatters/index.js";
import { JSON_TYPE } from "./formatters/request.js";
import type { WebhookPayload } from "./payload.js";
import { signatureHeaders } from "./signing.js";

/**
 * From a webhook's URL to the requests of one delivery attempt:
 * - `http://` / `https://`: the stored JSON body as it is, signed per
 *   Standard Webhooks with the webhook's secret (signing.ts);
 * - a Shoutrrr chat scheme: the service's formatter (formatters/), unsigned
 *   (chat services authenticate us by the token in their URL instead).
 */

export interface DeliveryTarget {
  /** The plaintext URL (opened from url_enc). Never logged. */
  url: string;
  /** The `whsec_` secret (opened from secret_enc). */
  secret: string;
}

export interface DeliveryAttempt {
  /** `webhook-id`: the same on every attempt of one delivery. */
  messageId: string;
  /** The attempt's time (the `webhook-timestamp`). */
  now: Date;
}

function isHttpUrl(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

/**
 * Checks a URL's grammar without sending anything (for the user API, at
 * creation). Throws WebhookError; the SSRF guard runs at send time, not here,
 * because DNS can change between the two.
 */
export function validateWebhookUrl(url: string): void {
  const sample: WebhookPayload = {
    type: "app.stopped",
    timestamp: new Date(0).toISOString(),
    data: { app: { id: 0, name: "example", slug: "example", url: "https://example.invalid" } },
  };
  buildDeliveryRequests({ url, secret: "whsec_AA==" }, sample, JSON.stringify(sample), {
    messageId: "validate",
    now: new Date(0),
  });
}

/** The requests of one attempt, in sending order. Throws WebhookError for an invalid URL. */
export function buildDeliveryRequests(
  target: DeliveryTarget,
  payload: WebhookPayload,
  body: string,
  attempt: DeliveryAttempt,
): OutboundRequest[] {
  if (isHttpUrl(target.url)) {
    let url: URL;
    try {
      url = new URL(target.url);
    } catch {
      throw invalidUrl("not a valid http(s) URL");
    }
    if (url.hostname === "") throw invalidUrl("the URL has no host");
    return [
      {
        url: url.toString(),
        method: "POST",
        headers: {
          "content-type": JSON_TYPE,
          ...signatureHeaders(target.secret, attempt.messageId, attempt.now, body),
        },
        body,
      },
    ];
  }
  const formatter = chatFormatterFor(target.url);
  if (!formatter)
    throw invalidUrl(
      "unsupported URL scheme: use http(s):// or one of discord://, slack://, ntfy://, telegram://, gotify://, generic://",
    );
  return formatter(target.url, payload);
}

/**
 * The URL as it may be shown and logged (`url_display`): scheme, host and
 * port only; user info, path and query, which is where every service keeps
 * its tokens, become `***`, `/…` and `?…`.
 */
export function redactWebhookUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "(invalid URL)";
  }
  const user = url.username !== "" || url.password !== "" ? "***@" : "";
  const path = url.pathname !== "" && url.pathname !== "/" ? "/…" : "";
  const query = url.search !== "" ? "?…" : "";
  return `${url.protocol}//${user}${url.host}${path}${query}`;
}
