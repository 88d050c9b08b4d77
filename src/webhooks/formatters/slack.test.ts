import { describe, expect, it } from "vitest";
import { goldenCases, renderGolden } from "../../../test/helpers/webhook-fixtures.js";
import type { WebhookError } from "../errors.js";
import { formatSlack } from "./slack.js";

const HOOK = "slack://hook:WNA3PBYV6-F20DUQND3RQ-Webc4MAvoacrpPakR8phF0zi@webhook";
const BOT = "slack://xoxb:123456789012-1234567890123-4mt0t4l1YL3g1T5L4cK70k3N@C001CH4NN3L";
const payload = goldenCases()[0]![1];
const one = (url: string) => {
  const reqs = formatSlack(url, payload);
  expect(reqs).toHaveLength(1);
  return { ...reqs[0]!, json: JSON.parse(reqs[0]!.body) as Record<string, unknown> };
};

describe("slack formatter", () => {
  it("matches the golden files for every event (webhook and Bot API)", async () => {
    await expect(
      renderGolden(formatSlack, `${HOOK}?botname=Shoutrrrbot&icon=man-scientist`),
    ).toMatchFileSnapshot("./__golden__/slack.golden.txt");
    await expect(renderGolden(formatSlack, `${BOT}?color=good&title=Great+News`)).toMatchFileSnapshot(
      "./__golden__/slack-api.golden.txt",
    );
  });

  it("sends a webhook token to hooks.slack.com, without a channel or Authorization", () => {
    const r = one(HOOK);
    expect(r.url).toBe("https://hooks.slack.com/services/WNA3PBYV6/F20DUQND3RQ/Webc4MAvoacrpPakR8phF0zi");
    expect(r.headers.authorization).toBeUndefined();
    expect(r.json.channel).toBeUndefined();
  });

  it("reads the legacy slack://p1/p2/p3 form as a webhook", () => {
    expect(one("slack://WNA3PBYV6/F20DUQND3RQ/Webc4MAvoacrpPakR8phF0zi").url).toBe(
      "https://hooks.slack.com/services/WNA3PBYV6/F20DUQND3RQ/Webc4MAvoacrpPakR8phF0zi",
    );
  });

  it("sends a bot token to chat.postMessage with Bearer auth and the channel", () => {
    const r = one(BOT);
    expect(r.url).toBe("https://slack.com/api/chat.postMessage");
    expect(r.headers.authorization).toBe("Bearer xoxb-123456789012-1234567890123-4mt0t4l1YL3g1T5L4cK70k3N");
    expect(r.json.channel).toBe("C001CH4NN3L");
  });

  it("escapes &, < and > in the text and picks icon_url for URLs", () => {
    const r = one(`${HOOK}?icon_url=https://x.example/i.png`);
    expect(r.json.text).toContain("Shop &lt;Front&gt; &amp; Co");
    expect(r.json.icon_url).toBe("https://x.example/i.png");
  });

  it.each([
    ["a malformed token", "slack://hook:abc@webhook", "webhook_url_invalid"],
    [
      "mismatched separators",
      "slack://WNA3PBYV6-F20DUQND3RQ/Webc4MAvoacrpPakR8phF0zi@webhook",
      "webhook_url_invalid",
    ],
    [
      "a bot token without a channel",
      "slack://xoxb:123456789012-1234567890123-4mt0t4l1YL3g1T5L4cK70k3N@webhook",
      "webhook_url_invalid",
    ],
    ["an unknown key", `${HOOK}?channel=x`, "webhook_url_invalid"],
  ])("refuses %s", (_name, url, code) => {
    expect(() => formatSlack(url, payload)).toThrow(expect.objectContaining({ code }) as WebhookError);
  });
});
