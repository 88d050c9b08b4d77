import { describe, expect, it } from "vitest";
import { goldenCases, renderGolden } from "../../../test/helpers/webhook-fixtures.js";
import type { WebhookError } from "../errors.js";
import { formatTelegram } from "./telegram.js";

const TOKEN = "110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
const payload = goldenCases()[0]![1];
const json = (body: string) => JSON.parse(body) as Record<string, unknown>;

describe("telegram formatter", () => {
  it("matches the golden files for every event (plain, and HTML with a title)", async () => {
    await expect(
      renderGolden(formatTelegram, `telegram://${TOKEN}@telegram?chats=@mychannel`),
    ).toMatchFileSnapshot("./__golden__/telegram.golden.txt");
    await expect(
      renderGolden(formatTelegram, `telegram://${TOKEN}@telegram?chats=-1001234&title=Deploys&preview=no`),
    ).toMatchFileSnapshot("./__golden__/telegram-html.golden.txt");
  });

  it("sends one sendMessage per chat, threads split off as message_thread_id", () => {
    const reqs = formatTelegram(
      `telegram://${TOKEN}@telegram?channels=@chan,-1001234:56&notification=no`,
      payload,
    );
    expect(reqs.map((r) => r.url)).toEqual([
      `https://api.telegram.org/bot${TOKEN}/sendMessage`,
      `https://api.telegram.org/bot${TOKEN}/sendMessage`,
    ]);
    expect(json(reqs[0]!.body)).toMatchObject({ chat_id: "@chan", disable_notification: true });
    expect(json(reqs[1]!.body)).toMatchObject({ chat_id: "-1001234", message_thread_id: 56 });
    expect(json(reqs[0]!.body).parse_mode).toBeUndefined();
  });

  it("escapes the text for the parse mode in use", () => {
    const html = json(
      formatTelegram(`telegram://${TOKEN}@telegram?chats=1&parsemode=HTML`, payload)[0]!.body,
    );
    expect(html).toMatchObject({
      parse_mode: "HTML",
      text: expect.stringContaining("Shop &lt;Front&gt; &amp; Co") as string,
    });
    const md = json(
      formatTelegram(`telegram://${TOKEN}@telegram?chats=1&parseMode=MarkdownV2`, payload)[0]!.body,
    );
    expect(md.text).toContain("https://shop\\-front\\.apps\\.example\\.com");
  });

  it.each([
    ["no chats", `telegram://${TOKEN}@telegram`, "webhook_url_invalid"],
    ["a malformed token", "telegram://abc:def@telegram?chats=1", "webhook_url_invalid"],
    ["a token without its secret", "telegram://110201543@telegram?chats=1", "webhook_url_invalid"],
    ["an unknown parse mode", `telegram://${TOKEN}@telegram?chats=1&parsemode=bbcode`, "webhook_url_invalid"],
  ])("refuses %s", (_name, url, code) => {
    expect(() => formatTelegram(url, payload)).toThrow(expect.objectContaining({ code }) as WebhookError);
  });
});
