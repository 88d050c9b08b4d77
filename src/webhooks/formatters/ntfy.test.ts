import { describe, expect, it } from "vitest";
import { goldenCases, renderGolden } from "../../../test/helpers/webhook-fixtures.js";
import type { WebhookError } from "../errors.js";
import { formatNtfy, headerValue } from "./ntfy.js";

const payload = goldenCases()[0]![1];
const one = (url: string) => {
  const reqs = formatNtfy(url, payload);
  expect(reqs).toHaveLength(1);
  return reqs[0]!;
};

describe("ntfy formatter", () => {
  it("matches the golden file for every event", async () => {
    await expect(
      renderGolden(formatNtfy, "ntfy://ntfy.sh/updates?priority=4&tags=info,computer&title=Server+Update"),
    ).toMatchFileSnapshot("./__golden__/ntfy.golden.txt");
  });

  it("posts the text to https://<host>/<topic> as text/plain", () => {
    const r = one("ntfy://ntfy.sh/mytopic");
    expect(r.url).toBe("https://ntfy.sh/mytopic");
    expect(r.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(r.body).toContain("Deployment succeeded");
    expect(r.headers.priority).toBeUndefined();
  });

  it("keeps the port of a self-hosted server and switches to http with scheme=http or disabletls", () => {
    expect(one("ntfy://my-ntfy-server.com:8080/mytopic").url).toBe("https://my-ntfy-server.com:8080/mytopic");
    expect(one("ntfy://n.example/t?scheme=http").url).toBe("http://n.example/t");
    expect(one("ntfy://n.example/t?disabletls=yes").url).toBe("http://n.example/t");
  });

  it("authenticates with Basic from the user info, or Bearer from token (which wins)", () => {
    expect(one("ntfy://username:password@ntfy.sh/privatetopic").headers.authorization).toBe(
      `Basic ${Buffer.from("username:password").toString("base64")}`,
    );
    expect(one("ntfy://u:p@ntfy.sh/t?token=tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2").headers.authorization).toBe(
      "Bearer tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2",
    );
  });

  it("maps options to ntfy headers", () => {
    const r = one(
      "ntfy://ntfy.sh/r?delay=1h&click=https://x.example&priority=urgent&cache=no&firebase=no&markdown=yes",
    );
    expect(r.headers).toMatchObject({
      delay: "1h",
      click: "https://x.example",
      priority: "5",
      cache: "no",
      firebase: "no",
      "content-type": "text/markdown",
    });
  });

  it("RFC 2047-encodes header values outside printable ASCII", () => {
    expect(headerValue("plain")).toBe("plain");
    expect(headerValue("déploiement ✅")).toBe(
      `=?UTF-8?B?${Buffer.from("déploiement ✅").toString("base64")}?=`,
    );
  });

  it.each([
    ["no topic", "ntfy://ntfy.sh", "webhook_url_invalid"],
    ["a bad priority", "ntfy://ntfy.sh/t?priority=9", "webhook_url_invalid"],
    ["a bad scheme", "ntfy://ntfy.sh/t?scheme=ftp", "webhook_url_invalid"],
    ["TLS verification off", "ntfy://ntfy.sh/t?disabletlsverification=yes", "webhook_url_unsupported"],
  ])("refuses %s", (_name, url, code) => {
    expect(() => formatNtfy(url, payload)).toThrow(expect.objectContaining({ code }) as WebhookError);
  });
});
