import { describe, expect, it } from "vitest";
import { goldenCases, renderGolden } from "../../../test/helpers/webhook-fixtures.js";
import { WebhookError } from "../errors.js";
import { formatDiscord } from "./discord.js";

const TOKEN = "W3dE2OZz4C13_4z_uHfDOoC7BqTW288s-z1ykqI0iJnY_HjRqMGO8Sc7YDqvf_KVKjhJ";
const URL_ = `discord://${TOKEN}@693853386302554172`;
const payload = goldenCases()[0]![1];
const body = (url: string) => JSON.parse(formatDiscord(url, payload)[0]!.body) as Record<string, unknown>;

describe("discord formatter", () => {
  it("matches the golden file for every event", async () => {
    await expect(renderGolden(formatDiscord, URL_)).toMatchFileSnapshot("./__golden__/discord.golden.txt");
  });

  it("posts to the webhook URL the token and id come from", () => {
    const [req, ...rest] = formatDiscord(`${URL_}?thread_id=123456789`, payload);
    expect(rest).toHaveLength(0);
    expect(req!.url).toBe(`https://discord.com/api/webhooks/693853386302554172/${TOKEN}?thread_id=123456789`);
    expect(req!.method).toBe("POST");
    expect(req!.headers["content-type"]).toBe("application/json");
  });

  it("puts the text in content, or in one embed when a title is set", () => {
    expect(body(URL_)).toMatchObject({ content: expect.stringContaining("Deployment succeeded") as string });
    expect(
      body(`${URL_}?title=Deploys&color=0xff0000&username=Bot&avatarurl=https://x.example/a.png`),
    ).toEqual({
      embeds: [{ title: "Deploys", description: expect.any(String) as string, color: 0xff0000 }],
      username: "Bot",
      avatar_url: "https://x.example/a.png",
      allowed_mentions: { parse: [] },
    });
  });

  it("reads query keys case-insensitively and accepts splitLines", () => {
    expect(() => formatDiscord(`${URL_}?splitLines=No&Title=x`, payload)).not.toThrow();
  });

  it.each([
    ["no token", "discord://693853386302554172", "webhook_url_invalid"],
    ["no id", `discord://${TOKEN}@`, "webhook_url_invalid"],
    ["non-numeric id", `discord://${TOKEN}@abc`, "webhook_url_invalid"],
    ["unknown key", `${URL_}?colour=1`, "webhook_url_invalid"],
    ["raw mode", `${URL_}/raw`, "webhook_url_unsupported"],
    ["json mode", `${URL_}?json=yes`, "webhook_url_unsupported"],
  ])("refuses %s", (_name, url, code) => {
    expect(() => formatDiscord(url, payload)).toThrow(WebhookError);
    try {
      formatDiscord(url, payload);
    } catch (err) {
      expect((err as WebhookError).code).toBe(code);
      expect((err as WebhookError).message).not.toContain(TOKEN);
    }
  });
});
