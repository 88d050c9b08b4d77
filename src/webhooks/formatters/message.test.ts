import { describe, expect, it } from "vitest";
import { EVENT_TYPES } from "../../events/publisher.js";
import { goldenCases } from "../../../test/helpers/webhook-fixtures.js";
import { eventEmoji, eventTitle, firstLine, formatShoutrrrMessage, short } from "./message.js";

describe("chat message", () => {
  it("has an emoji and a title for every event type", () => {
    for (const t of EVENT_TYPES) {
      expect(eventEmoji[t]).toMatch(/\S/);
      expect(eventTitle[t]).toMatch(/\S/);
    }
    expect(Object.keys(eventEmoji).sort()).toEqual([...EVENT_TYPES].sort());
    expect(Object.keys(eventTitle).sort()).toEqual([...EVENT_TYPES].sort());
  });

  it("short() keeps 7 characters and firstLine() the first non-blank line", () => {
    expect(short("3f786850e387550fdab836ed7e6dc881de23001b")).toBe("3f78685");
    expect(short(null)).toBe("");
    expect(firstLine("\n  Fix totals  \r\nmore")).toBe("Fix totals");
    expect(firstLine(undefined)).toBe("");
  });

  it("renders {emoji} {title} — {app}, then https://{subdomain}, then the details", () => {
    const byName = new Map(goldenCases());
    expect(formatShoutrrrMessage(byName.get("deployment.succeeded (multi-line commit message)")!)).toBe(
      "✅ Deployment succeeded — Shop <Front> & Co\nhttps://shop-front.apps.example.com\na94a8fe Fix checkout totals",
    );
    expect(formatShoutrrrMessage(byName.get("deployment.failed (missing SHA)")!)).toBe(
      "❌ Deployment failed — Shop <Front> & Co\nhttps://shop-front.apps.example.com\nTry again\nbuild failed: exit code 1",
    );
    expect(formatShoutrrrMessage(byName.get("app.cpu")!)).toBe(
      "🔥 High CPU usage — Shop <Front> & Co\nhttps://shop-front.apps.example.com\ncpu: 93.46 (threshold 80, for 5 min)",
    );
    expect(formatShoutrrrMessage(byName.get("app.stopped")!)).toBe(
      "⏹️ App stopped — Shop <Front> & Co\nhttps://shop-front.apps.example.com",
    );
  });
});
