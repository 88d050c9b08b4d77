import { describe, expect, it } from "vitest";
import { goldenCases } from "../../test/helpers/webhook-fixtures.js";
import { SecretBox } from "../crypto/aes.js";
import { EVENT_TYPES } from "../events/publisher.js";
import { buildWebhookPayload, parseWebhookPayload } from "./payload.js";
import { openWebhookTarget, parseEventTypes, sealNewWebhook } from "./registration.js";
import { buildDeliveryRequests, redactWebhookUrl, validateWebhookUrl } from "./targets.js";

const box = new SecretBox("k".repeat(32));

describe("payload", () => {
  it("carries the deployment only on deployment events and the alert only on alert events", () => {
    for (const [name, p] of goldenCases()) {
      expect(parseWebhookPayload(JSON.stringify(p))).toEqual(p);
      const keys = Object.keys(p.data).filter((k) => k !== "app" && k !== "reason");
      if (p.type.startsWith("deployment.")) expect(keys, name).toEqual(["deployment"]);
      else if (p.type === "app.stopped" || p.type === "app.violation") expect(keys, name).toEqual([]);
      else expect(keys, name).toEqual(["alert"]);
    }
  });

  it("sets deployment or alert to null when the publisher had none", () => {
    const app = { id: 1, name: "a", slug: "a", user_id: 9 };
    const time = new Date(0);
    expect(buildWebhookPayload({ type: "deployment.failed", app, time }, "x.test").data).toEqual({
      app: { id: 1, name: "a", slug: "a", url: "https://a.x.test" },
      deployment: null,
    });
    expect(buildWebhookPayload({ type: "app.offline", app, time }, "x.test").data).toMatchObject({
      alert: null,
    });
  });

  it("rejects a stored body that is not a payload", () => {
    expect(() => parseWebhookPayload('{"type":"nope"}')).toThrow();
  });
});

describe("registration", () => {
  it("seals URL and secret, bound to the owner, and stores only a redacted URL in the clear", () => {
    const url = "discord://S3CR3TTOKEN@693853386302554172?thread_id=1";
    const { values, secret } = sealNewWebhook(box, {
      userId: 5,
      url,
      events: ["app.cpu", "deployment.failed"],
    });
    expect(secret).toMatch(/^whsec_/);
    expect(values.url_display).toBe("discord://***@693853386302554172?…");
    expect(JSON.stringify(values)).not.toContain("S3CR3TTOKEN");
    expect(JSON.stringify(values)).not.toContain(secret);
    expect(values.events).toEqual(["deployment.failed", "app.cpu"]);
    expect(openWebhookTarget(box, { ...values, user_id: 5 })).toEqual({ url, secret });
    expect(() => openWebhookTarget(box, { ...values, user_id: 6 })).toThrow();
  });

  it("validates the URL and the event types", () => {
    expect(() => sealNewWebhook(box, { userId: 1, url: "ftp://x", events: ["app.cpu"] })).toThrow(
      expect.objectContaining({ code: "webhook_url_invalid" }) as Error,
    );
    expect(() => sealNewWebhook(box, { userId: 1, url: "https://x.example", events: [] })).toThrow(
      expect.objectContaining({ code: "webhook_events_invalid" }) as Error,
    );
    expect(() => parseEventTypes(["app.cpu", "app.bogus"])).toThrow(/app\.bogus/);
    expect(parseEventTypes([...EVENT_TYPES].reverse())).toEqual([...EVENT_TYPES]);
  });

  it.each([
    "https://hooks.example.com/x",
    "http://10.0.0.1:8080/hook",
    "discord://t@1",
    "slack://hook:WNA3PBYV6-F20DUQND3RQ-Webc4MAvoacrpPakR8phF0zi@webhook",
    "ntfy://ntfy.sh/t",
    "telegram://1:a@telegram?chats=1",
    "gotify://g.example/AzyoeNS.D4iJLVa",
    "generic://h.example/x",
    "generic+https://h.example/x",
  ])("accepts %s", (url) => {
    expect(() => validateWebhookUrl(url)).not.toThrow();
  });

  it.each(["mailto:a@b", "not a url", "https://", "matrix://x"])("rejects %s", (url) => {
    expect(() => validateWebhookUrl(url)).toThrow(
      expect.objectContaining({ code: "webhook_url_invalid" }) as Error,
    );
  });
});

describe("redaction and requests", () => {
  it.each([
    ["https://user:pw@hooks.example.com/services/T/B/X?token=abc", "https://***@hooks.example.com/…?…"],
    ["https://hooks.example.com", "https://hooks.example.com"],
    ["telegram://1:secret@telegram?chats=1", "telegram://***@telegram?…"],
    ["gotify://g.example:8443/AzyoeNS.D4iJLVa", "gotify://g.example:8443/…"],
    ["%%%", "(invalid URL)"],
  ])("%s is shown as %s", (url, shown) => {
    expect(redactWebhookUrl(url)).toBe(shown);
  });

  it("signs http(s) bodies as stored and leaves chat requests unsigned", () => {
    const [, p] = goldenCases()[0]!;
    const body = JSON.stringify(p);
    const attempt = { messageId: "evt_1", now: new Date() };
    const [signed] = buildDeliveryRequests(
      { url: "https://x.example/h", secret: "whsec_AAAA" },
      p,
      body,
      attempt,
    );
    expect(signed).toMatchObject({ url: "https://x.example/h", method: "POST", body });
    expect(signed!.headers["webhook-id"]).toBe("evt_1");
    const [chat] = buildDeliveryRequests({ url: "ntfy://ntfy.sh/t", secret: "whsec_AAAA" }, p, body, attempt);
    expect(chat!.headers["webhook-signature"]).toBeUndefined();
  });
});
