import { createHmac, randomBytes } from "node:crypto";

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com/):
 *
 *   webhook-id:        the message id, the same on every retry of one delivery
 *   webhook-timestamp: integer seconds since the epoch of this attempt
 *   webhook-signature: `v1,<base64(HMAC-SHA256(key, "<id>.<timestamp>.<body>"))>`
 *
 * The secret is `whsec_<base64 of 32 random bytes>`; the HMAC key is the
 * base64-decoded part after the prefix. Receivers verify with any Standard
 * Webhooks library (the npm package `standardwebhooks` in our tests), which
 * also rejects timestamps more than 5 minutes away from its clock: that is
 * why the timestamp is taken at send time, not at event time.
 */

export const SECRET_PREFIX = "whsec_";
const SECRET_BYTES = 32;

/** A fresh `whsec_...` secret. Shown to the user once at creation, then stored sealed. */
export function generateWebhookSecret(random: (n: number) => Buffer = randomBytes): string {
  return SECRET_PREFIX + random(SECRET_BYTES).toString("base64");
}

/** The HMAC key of a `whsec_` secret. Throws when the secret is not of that form. */
export function secretKey(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error("webhook secret must start with whsec_");
  const encoded = secret.slice(SECRET_PREFIX.length);
  const key = Buffer.from(encoded, "base64");
  if (key.length === 0 || key.toString("base64") !== encoded) throw new Error("webhook secret is not base64");
  return key;
}

/** The `webhook-signature` value for one attempt. */
export function signWebhook(secret: string, id: string, timestampS: number, body: string): string {
  const mac = createHmac("sha256", secretKey(secret))
    .update(`${id}.${timestampS}.${body}`, "utf8")
    .digest("base64");
  return `v1,${mac}`;
}

export interface SignatureHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

/** The three Standard Webhooks headers for sending `body` as message `id` at `now`. */
export function signatureHeaders(secret: string, id: string, now: Date, body: string): SignatureHeaders {
  const ts = Math.floor(now.getTime() / 1000);
  return {
    "webhook-id": id,
    "webhook-timestamp": String(ts),
    "webhook-signature": signWebhook(secret, id, ts, body),
  };
}
