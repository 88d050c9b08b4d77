import { describe, expect, it } from "vitest";
import { goldenCases, renderGolden } from "../../../test/helpers/webhook-fixtures.js";
import type { WebhookError } from "../errors.js";
import { formatGeneric } from "./generic.js";

const payload = goldenCases()[0]![1];
const one = (url: string) => {
  const reqs = formatGeneric(url, payload);
  expect(reqs).toHaveLength(1);
  return reqs[0]!;
};

describe("generic formatter", () => {
  it("matches the golden files for every event (plain text, and the JSON template)", async () => {
    await expect(renderGolden(formatGeneric, "generic://api.example.com/webhook")).toMatchFileSnapshot(
      "./__golden__/generic.golden.txt",
    );
    await expect(
      renderGolden(formatGeneric, "generic://api.example.com/webhook?template=json&$source=wisehosting"),
    ).toMatchFileSnapshot("./__golden__/generic-json.golden.txt");
  });

  it("sends the plain text over https by default, http with disabletls", () => {
    const r = one("generic://api.example.com/webhook");
    expect(r).toMatchObject({ url: "https://api.example.com/webhook", method: "POST" });
    expect(r.headers["content-type"]).toBe("text/plain");
    expect(r.body.split("\n")[1]).toBe("https://shop-front.apps.example.com");
    expect(one("generic://api.example.com/x?disabletls=yes").url).toBe("http://api.example.com/x");
  });

  it("takes generic+https:// and generic+http:// as the target URL, forwarding its query", () => {
    expect(one("generic+https://example.com/api/v1/postStuff?a=1&_contenttype=x").url).toBe(
      "https://example.com/api/v1/postStuff?a=1&contenttype=x",
    );
    expect(one("generic+http://example.com:8080/hook").url).toBe("http://example.com:8080/hook");
  });

  it("renames title and message keys, adds $ fields, honours method and contenttype", () => {
    const r = one(
      "generic://h.example/alert?template=json&titlekey=alert_title&messagekey=alert_message&$env=prod&method=put&contenttype=application/vnd.x%2Bjson",
    );
    expect(r.method).toBe("PUT");
    expect(r.headers["content-type"]).toBe("application/vnd.x+json");
    expect(JSON.parse(r.body)).toEqual({
      alert_title: "Deployment succeeded — Shop <Front> & Co",
      alert_message: expect.stringContaining("✅ Deployment succeeded") as string,
      env: "prod",
    });
  });

  it("sends URL credentials as Basic auth, not in the URL", () => {
    const r = one("generic+https://user:pa%20ss@example.com/hook");
    expect(r.url).toBe("https://example.com/hook");
    expect(r.headers.authorization).toBe(`Basic ${Buffer.from("user:pa ss").toString("base64")}`);
  });

  it.each([
    [
      "custom headers",
      "generic://api.example.com/webhook?@Authorization=Bearer%20x",
      "webhook_url_unsupported",
    ],
    ["a named template", "generic://api.example.com/webhook?template=mine", "webhook_url_unsupported"],
    ["a GET method", "generic://api.example.com/webhook?method=GET", "webhook_url_invalid"],
    ["no host", "generic:///webhook", "webhook_url_invalid"],
  ])("refuses %s", (_name, url, code) => {
    expect(() => formatGeneric(url, payload)).toThrow(expect.objectContaining({ code }) as WebhookError);
  });
});
