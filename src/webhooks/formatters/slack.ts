import { invalidUrl } from "../errors.js";
import type { WebhookPayload } from "../payload.js";
import { formatShoutrrrMessage } from "./message.js";
import { jsonRequest, type OutboundRequest } from "./request.js";
import { parseServiceUrl, textParam } from "./service-url.js";

/**
 * Slack, Shoutrrr grammar (nicholas-fedor/shoutrrr docs/services/chat/slack):
 *
 *   slack://hook:<p1>-<p2>-<p3>@webhook[?...]     incoming webhook
 *   slack://xoxb:<p1>-<p2>-<p3>@<channel>[?...]   Bot API token (also xoxp)
 *   slack://<p1>/<p2>/<p3>                        legacy webhook form
 *
 * The token parts are matched with Shoutrrr's pattern (p1, p2: 9+ of
 * [A-Z0-9]; p3: 24+ of [A-Za-z0-9]; separators `-`, `/` or `,`, both alike).
 * Query: `botname` (alias `username`), `icon` (emoji name or http(s) URL;
 * aliases `icon_emoji`, `icon_url`), `color`, `title`, `thread_ts`.
 *
 * Request: a webhook token POSTs JSON to
 * `https://hooks.slack.com/services/<p1>/<p2>/<p3>`; an API token POSTs to
 * `https://slack.com/api/chat.postMessage` with `Authorization: Bearer
 * <type>-<p1>-<p2>-<p3>` and the channel in the body. The text is escaped
 * for Slack (`&`, `<`, `>`); `title` is prepended in bold; with `color` the
 * text is sent as one attachment of that colour.
 *
 * Known limit: the Bot API answers HTTP 200 with `"ok": false` on some
 * errors; only the status code is checked, so such a delivery counts as sent.
 */

const KEYS: Readonly<Record<string, string>> = {
  botname: "botname",
  username: "botname",
  icon: "icon",
  icon_emoji: "icon",
  icon_url: "icon",
  color: "color",
  title: "title",
  thread_ts: "thread_ts",
};

export const SLACK_WEBHOOK_BASE = "https://hooks.slack.com/services/";
export const SLACK_POST_MESSAGE = "https://slack.com/api/chat.postMessage";

const TOKEN_PATTERN = /(?:(xox.|hook)[-:]|:?)([A-Z0-9]{9,})([-/,])([A-Z0-9]{9,})([-/,])([A-Za-z0-9]{24,})/;

interface SlackToken {
  type: string;
  parts: [string, string, string];
}

function parseToken(raw: string): SlackToken {
  const m = TOKEN_PATTERN.exec(raw);
  if (!m) throw invalidUrl("slack: the token does not look like a Slack token (hook:, xoxb: or xoxp:)");
  const [, type, p1, s1, p2, s2, p3] = m;
  if (s1 !== s2) throw invalidUrl("slack: the token's separators do not match");
  return { type: type ?? "hook", parts: [p1 ?? "", p2 ?? "", p3 ?? ""] };
}

function escapeSlack(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

export function formatSlack(raw: string, payload: WebhookPayload): OutboundRequest[] {
  const p = parseServiceUrl(raw, "slack", KEYS);
  let tokenText: string;
  let channel: string;
  let botname = textParam(p, "botname");
  if (p.path !== "") {
    // Legacy form: the whole token is in host and path; the user, if any, is the bot name.
    tokenText = `${p.hostname}/${p.path}`;
    channel = "webhook";
    botname ??= p.user || undefined;
  } else {
    tokenText = p.password === "" ? p.user : `${p.user}:${p.password}`;
    channel = p.hostname;
  }
  const token = parseToken(tokenText);
  const isApi = token.type !== "hook";
  if (isApi && (channel === "" || channel === "webhook"))
    throw invalidUrl("slack: an API token needs a channel id as the host");

  const title = textParam(p, "title");
  const color = textParam(p, "color");
  const icon = textParam(p, "icon");
  const threadTs = textParam(p, "thread_ts");
  const message = escapeSlack(formatShoutrrrMessage(payload));
  const text = title ? `*${escapeSlack(title)}*\n${message}` : message;
  const body = {
    ...(color ? { attachments: [{ color, fallback: text, text }] } : { text }),
    ...(botname ? { username: botname } : {}),
    ...(icon ? (/^https?:\/\//.test(icon) ? { icon_url: icon } : { icon_emoji: icon }) : {}),
    ...(threadTs ? { thread_ts: threadTs } : {}),
    ...(isApi ? { channel } : {}),
  };
  if (!isApi) return [jsonRequest(SLACK_WEBHOOK_BASE + token.parts.join("/"), body)];
  const bearer = `Bearer ${token.type}-${token.parts.join("-")}`;
  return [jsonRequest(SLACK_POST_MESSAGE, body, { authorization: bearer })];
}
