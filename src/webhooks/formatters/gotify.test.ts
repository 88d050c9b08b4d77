import { describe, expect, it } from "vitest";
import { goldenCases, renderGolden } from "../../../test/helpers/webhook-fixtures.js";
import type { WebhookError } from "../errors.js";
import { formatGotify } from "./gotify.js";

const payload = goldenCases()[0]![1];
const one = (url: string) => {
  const reqs = formatGotify(url, payload);
  expect(reqs).toHaveLength(1);
  return { ...reqs[0]!, json: JSON.parse(reqs[0]!.body) as Record<string, unknown> };
};

describe("gotify formatter", () => {
  it("matches the golden file for every event", async () => {
    await expect(
      renderGolden(formatGotify, "gotify://gotify.example.com:443/AzyoeNS.D4iJLVa/?priority=1"),
    ).toMatchFileSnapshot("./__golden__/gotify.golden.txt");
  });

  it("posts to <host><subpath>/message with the token in the query", () => {
    const r = one("gotify://example.com:8443/path/to/gotify/AzyoeNS.D4iJLVa/?title=Great+News&priority=1");
    expect(r.url).toBe("https://example.com:8443/path/to/gotify/message?token=AzyoeNS.D4iJLVa");
    expect(r.json).toMatchObject({ title: "Great News", priority: 1, message: expect.any(String) as string });
  });

  it("moves the token to X-Gotify-Key with useheader and uses http with disabletls", () => {
    const r = one("gotify://gotify.example.com/AzyoeNS.D4iJLVa?useheader=yes&disabletls=yes");
    expect(r.url).toBe("http://gotify.example.com/message");
    expect(r.headers["x-gotify-key"]).toBe("AzyoeNS.D4iJLVa");
  });

  it("defaults the title to the event title and app, and passes extras and date", () => {
    const r = one('gotify://g.example/AzyoeNS.D4iJLVa?extras={"a":1}&date=2023-12-25T10:00:00Z');
    expect(r.json).toMatchObject({
      title: "Deployment succeeded — Shop <Front> & Co",
      priority: 0,
      extras: { a: 1 },
      date: "2023-12-25T10:00:00Z",
    });
  });

  it("accepts Gotify 3 tokens", () => {
    const token = `gtfya.${"A".repeat(43)}`;
    expect(one(`gotify://g.example/${token}`).url).toBe(`https://g.example/message?token=${token}`);
  });

  it.each([
    ["no token", "gotify://gotify.example.com/", "webhook_url_invalid"],
    ["a malformed token", "gotify://gotify.example.com/message?token=AzyoeNS.D4iJLVa", "webhook_url_invalid"],
    ["a priority out of range", "gotify://g.example/AzyoeNS.D4iJLVa?priority=11", "webhook_url_invalid"],
    ["extras that are not an object", "gotify://g.example/AzyoeNS.D4iJLVa?extras=[1]", "webhook_url_invalid"],
    [
      "skipping TLS verification",
      "gotify://g.example/AzyoeNS.D4iJLVa?insecureskipverify=yes",
      "webhook_url_unsupported",
    ],
  ])("refuses %s", (_name, url, code) => {
    expect(() => formatGotify(url, payload)).toThrow(expect.objectContaining({ code }) as WebhookError);
  });
});
