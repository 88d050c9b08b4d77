import { invalidUrl } from "../errors.js";
import type { WebhookPayload } from "../payload.js";
import { formatShoutrrrMessage } from "./message.js";
import { jsonRequest, type OutboundRequest } from "./request.js";
import { boolParam, parseServiceUrl, textParam } from "./service-url.js";

/**
 * Telegram, Shoutrrr grammar (nicholas-fedor/shoutrrr docs/services/chat/telegram):
 *
 *   telegram://<bot-token>@telegram?chats=<chat>[,<chat>...][&preview=&notification=&parsemode=&title=]
 *
 * The bot token `<id>:<secret>` is the URL's user and password. `chats`
 * (alias `channels`) lists chat ids or `@channel` names; `<chat>:<thread>`
 * posts into a topic thread. `preview` and `notification` default to yes and
 * are the inverse of the API's `disable_web_page_preview` /
 * `disable_notification`. `parsemode`: None (default), HTML, Markdown, MarkdownV2.
 *
 * Request (Bot API sendMessage): one POST per chat to
 * `https://api.telegram.org/bot<token>/sendMessage`, JSON. As in Shoutrrr, a
 * `title` with no parse mode switches to HTML and prepends `<b>title</b>`;
 * unlike Shoutrrr our text is always escaped for the parse mode in use,
 * because it carries user-chosen app names.
 */

const KEYS: Readonly<Record<string, string>> = {
  chats: "chats",
  channels: "chats",
  preview: "preview",
  notification: "notification",
  parsemode: "parsemode",
  title: "title",
};

export const TELEGRAM_API = "https://api.telegram.org";
const MAX_LENGTH = 4096;

type ParseMode = "None" | "HTML" | "Markdown" | "MarkdownV2";
const PARSE_MODES: Readonly<Record<string, ParseMode>> = {
  none: "None",
  html: "HTML",
  markdown: "Markdown",
  markdownv2: "MarkdownV2",
};

function escapeHtml(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

/** Escapes per https://core.telegram.org/bots/api#formatting-options. */
function escapeFor(mode: ParseMode, s: string): string {
  switch (mode) {
    case "HTML":
      return escapeHtml(s);
    case "Markdown":
      return s.replace(/[_*`[]/g, "\\$&");
    case "MarkdownV2":
      return s.replace(/[_*[\]()~`>#+\-=|{}.!\\]/g, "\\$&");
    case "None":
      return s;
  }
}

export function formatTelegram(raw: string, payload: WebhookPayload): OutboundRequest[] {
  const p = parseServiceUrl(raw, "telegram", KEYS);
  const token = `${p.user}:${p.password}`;
  if (!/^[0-9]+:[A-Za-z0-9_-]+$/.test(token))
    throw invalidUrl("telegram: the bot token (user:password) is not a Telegram bot token");
  const chats = (textParam(p, "chats") ?? "")
    .split(",")
    .map((c) => c.trim())
    .filter((c) => c !== "");
  if (chats.length === 0) throw invalidUrl('telegram: "chats" names no chat');

  const modeRaw = textParam(p, "parsemode") ?? "none";
  let mode = PARSE_MODES[modeRaw.toLowerCase()];
  if (mode === undefined)
    throw invalidUrl('telegram: "parsemode" must be None, HTML, Markdown or MarkdownV2');
  const title = textParam(p, "title");
  if (mode === "None" && title !== undefined) mode = "HTML";
  let text = escapeFor(mode, formatShoutrrrMessage(payload));
  if (mode === "HTML" && title !== undefined) text = `<b>${escapeHtml(title)}</b>\n${text}`;
  if (text.length > MAX_LENGTH) text = text.slice(0, MAX_LENGTH);

  const preview = boolParam(p, "preview", true, "telegram");
  const notification = boolParam(p, "notification", true, "telegram");
  const url = `${TELEGRAM_API}/bot${token}/sendMessage`;
  return chats.map((chat) => {
    const [chatId, thread] = splitChat(chat);
    return jsonRequest(url, {
      chat_id: chatId,
      ...(thread !== undefined ? { message_thread_id: thread } : {}),
      text,
      ...(mode === "None" ? {} : { parse_mode: mode }),
      disable_web_page_preview: !preview,
      disable_notification: !notification,
    });
  });
}

/** `<chat>:<thread>` as Shoutrrr reads it: a thread that is not an integer is ignored. */
function splitChat(chat: string): [string, number | undefined] {
  const i = chat.indexOf(":");
  if (i === -1) return [chat, undefined];
  const thread = Number(chat.slice(i + 1));
  return [chat.slice(0, i), Number.isInteger(thread) ? thread : undefined];
}
