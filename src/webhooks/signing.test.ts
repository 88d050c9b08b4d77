import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { generateWebhookSecret, secretKey, signatureHeaders, signWebhook } from "./signing.js";

const body = JSON.stringify({
  type: "app.stopped",
  timestamp: "2031-01-01T00:00:00.000Z",
  data: { app: { id: 1 } },
});

describe("Standard Webhooks signing", () => {
  it("generates whsec_ secrets of 32 random bytes", () => {
    const a = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(secretKey(a)).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(a);
  });

  it("is verified by the standardwebhooks package", () => {
    const secret = generateWebhookSecret();
    const headers = signatureHeaders(secret, "evt_1", new Date(), body);
    expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it("signs exactly what the package signs", () => {
    const secret = generateWebhookSecret();
    const at = new Date("2031-01-01T00:00:00Z");
    expect(signWebhook(secret, "evt_2", at.getTime() / 1000, body)).toBe(
      new Webhook(secret).sign("evt_2", at, body),
    );
  });

  it("is rejected for a tampered body, id or timestamp, or another secret", () => {
    const secret = generateWebhookSecret();
    const headers = signatureHeaders(secret, "evt_3", new Date(), body);
    const wh = new Webhook(secret);
    expect(() => wh.verify(body.replace("app.stopped", "app.disk"), { ...headers })).toThrow(
      WebhookVerificationError,
    );
    expect(() => wh.verify(body, { ...headers, "webhook-id": "evt_4" })).toThrow(WebhookVerificationError);
    expect(() =>
      wh.verify(body, { ...headers, "webhook-timestamp": String(Number(headers["webhook-timestamp"]) + 1) }),
    ).toThrow(WebhookVerificationError);
    expect(() => new Webhook(generateWebhookSecret()).verify(body, { ...headers })).toThrow(
      WebhookVerificationError,
    );
  });

  it("is rejected when the timestamp is old (replay), even though the signature matches", () => {
    const secret = generateWebhookSecret();
    const old = new Date(Date.now() - 10 * 60 * 1000);
    const headers = signatureHeaders(secret, "evt_5", old, body);
    expect(() => new Webhook(secret).verify(body, { ...headers })).toThrow(/timestamp/i);
  });

  it("refuses secrets that are not whsec_ base64", () => {
    expect(() => secretKey("abc")).toThrow();
    expect(() => secretKey("whsec_%%%")).toThrow();
  });
});
