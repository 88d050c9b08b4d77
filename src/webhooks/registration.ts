import type { SecretBox } from "../crypto/aes.js";
import type { NewWebhook } from "../db/webhooks.js";
import { EVENT_TYPES, type EventType } from "../events/publisher.js";
import { WebhookError } from "./errors.js";
import { generateWebhookSecret } from "./signing.js";
import { redactWebhookUrl, validateWebhookUrl, type DeliveryTarget } from "./targets.js";

/**
 * What the user API needs to store a webhook, and the dispatcher to read it
 * back. The URL (it can hold chat tokens) and the `whsec_` secret are sealed
 * with the SecretBox, each bound by its AAD to its purpose and owner, so a
 * sealed value copied into another user's row does not open. Only
 * `url_display` (redacted) is stored in the clear.
 */

const urlAad = (userId: number): string => `webhook-url:user:${userId}`;
const secretAad = (userId: number): string => `webhook-secret:user:${userId}`;

export interface NewWebhookInput {
  userId: number;
  url: string;
  events: readonly string[];
  enabled?: boolean;
}

export interface SealedWebhook {
  /** The row to insert (insertWebhook). */
  values: NewWebhook;
  /** The plaintext secret: show it to the user once, never again. */
  secret: string;
}

/** The subscription, deduplicated in catalogue order; throws `webhook_events_invalid`. */
export function parseEventTypes(events: readonly string[]): EventType[] {
  const unknown = events.filter((e) => !(EVENT_TYPES as readonly string[]).includes(e));
  if (unknown.length > 0)
    throw new WebhookError("webhook_events_invalid", `unknown event types: ${unknown.join(", ")}`);
  const chosen = EVENT_TYPES.filter((t) => events.includes(t));
  if (chosen.length === 0)
    throw new WebhookError("webhook_events_invalid", "subscribe to at least one event type");
  return chosen;
}

/**
 * Validates the URL's grammar and the event types, generates the secret and
 * seals both. Throws WebhookError; nothing is stored here.
 */
export function sealNewWebhook(box: SecretBox, input: NewWebhookInput): SealedWebhook {
  validateWebhookUrl(input.url);
  const events = parseEventTypes(input.events);
  const secret = generateWebhookSecret();
  return {
    secret,
    values: {
      user_id: input.userId,
      url_enc: box.seal(input.url, urlAad(input.userId)),
      url_display: redactWebhookUrl(input.url),
      secret_enc: box.seal(secret, secretAad(input.userId)),
      events,
      ...(input.enabled === undefined ? {} : { enabled: input.enabled }),
    },
  };
}

/** The URL and secret of a stored webhook. Throws CryptoError when they do not open. */
export function openWebhookTarget(
  box: SecretBox,
  row: { user_id: number; url_enc: string; secret_enc: string },
): DeliveryTarget {
  return {
    url: box.openString(row.url_enc, urlAad(row.user_id)),
    secret: box.openString(row.secret_enc, secretAad(row.user_id)),
  };
}
