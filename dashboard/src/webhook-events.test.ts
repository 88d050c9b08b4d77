import { describe, expect, it } from "vitest";
import { webhookErrorField, WEBHOOK_EVENTS } from "./webhook-events";

describe("webhookErrorField", () => {
  it("places the webhook module's coded errors on their field", () => {
    expect(webhookErrorField({ code: "webhook_url_invalid" })).toBe("url");
    expect(webhookErrorField({ code: "webhook_url_unsupported" })).toBe("url");
    expect(webhookErrorField({ code: "webhook_target_blocked" })).toBe("url");
    expect(webhookErrorField({ code: "webhook_events_invalid" })).toBe("events");
  });

  it("follows the field a schema error names, and leaves the rest to the form", () => {
    expect(webhookErrorField({ code: "invalid_request", field: "events.3" })).toBe("events");
    expect(webhookErrorField({ code: "invalid_request", field: "url" })).toBe("url");
    expect(webhookErrorField({ code: "invalid_request", field: "enabled" })).toBeUndefined();
    expect(webhookErrorField({ code: "webhook_limit" })).toBeUndefined();
    expect(webhookErrorField(undefined)).toBeUndefined();
  });

  it("lists each event type once", () => {
    expect(new Set(WEBHOOK_EVENTS.map((e) => e.type)).size).toBe(WEBHOOK_EVENTS.length);
  });
});
