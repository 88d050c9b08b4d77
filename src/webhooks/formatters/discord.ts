import { invalidUrl, unsupportedUrl } from "../errors.js";
import type { WebhookPayload } from "../payload.js";
import { formatShoutrrrMessage } from "./message.js";
import { jsonRequest, type OutboundRequest } from "./request.js";
import { boolParam, parseServiceUrl, textParam } from "./service-url.js";

/**
 * Discord, Shoutrrr grammar: `discord://<token>@<webhookid>[?thread_id=&title=&username=&avatar=&color=...]`
 * (nicholas-fedor/shoutrrr docs/services/chat/discord). The webhook
 * `https://discord.com/api/webhooks/<webhookid>/<token>` becomes that URL.
 *
 * Request: POST https://discord.com/api/webhooks/<id>/<token>[?thread_id=],
 * JSON. Without `title` the text goes in `content`; with `title` it is one
 * embed (title, description, `color`). `username` and `avatar` override the
 * webhook's defaults. Mentions are disabled (`allowed_mentions.parse = []`):
 * app names are user input and must not ping `@everyone`.
 *
 * Accepted and not used (valid grammar, no effect on our one-message text):
 * `splitLines` and the per-level colours. Refused: the `/raw` path and
 * `json=yes` (they send the message itself as the JSON body, which an event
 * text is not).
 */

const KEYS: Readonly<Record<string, string>> = {
  title: "title",
  username: "username",
  avatar: "avatar",
  avatarurl: "avatar",
  color: "color",
  colorerror: "colorerror",
  colorwarn: "colorwarn",
  colorinfo: "colorinfo",
  colordebug: "colordebug",
  splitlines: "splitlines",
  json: "json",
  thread_id: "thread_id",
};

export const DISCORD_HOOKS_BASE = "https://discord.com/api/webhooks";
const DEFAULT_COLOR = 0x50d9ff;

/** Shoutrrr reads colours in base 16, with or without `0x` / `#`. */
function parseColor(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_COLOR;
  const hex = raw.replace(/^(0x|#)/i, "");
  if (!/^[0-9a-f]{1,6}$/i.test(hex))
    throw invalidUrl('discord: "color" must be a hex colour such as 0x50D9ff');
  return parseInt(hex, 16);
}

export function formatDiscord(raw: string, payload: WebhookPayload): OutboundRequest[] {
  const p = parseServiceUrl(raw, "discord", KEYS);
  if (p.path !== "") {
    if (p.path === "raw") throw unsupportedUrl("discord: the /raw (JSON) mode is not supported");
    throw invalidUrl("discord: the URL has no path; expected discord://token@webhookid");
  }
  if (p.hostname === "") throw invalidUrl("discord: the webhook id (host) is missing");
  if (p.user === "") throw invalidUrl("discord: the token (user) is missing");
  if (!/^\d+$/.test(p.hostname)) throw invalidUrl("discord: the webhook id (host) must be numeric");
  if (boolParam(p, "json", false, "discord")) throw unsupportedUrl('discord: "json" mode is not supported');
  boolParam(p, "splitlines", true, "discord");

  const target = new URL(`${DISCORD_HOOKS_BASE}/${p.hostname}/${encodeURIComponent(p.user.trim())}`);
  const thread = textParam(p, "thread_id")?.trim();
  if (thread) target.searchParams.set("thread_id", thread);

  const text = formatShoutrrrMessage(payload);
  const title = textParam(p, "title");
  const color = parseColor(textParam(p, "color"));
  const username = textParam(p, "username");
  const avatar = textParam(p, "avatar");
  const body = {
    ...(title ? { embeds: [{ title, description: text, color }] } : { content: text }),
    ...(username ? { username } : {}),
    ...(avatar ? { avatar_url: avatar } : {}),
    allowed_mentions: { parse: [] },
  };
  return [jsonRequest(target.toString(), body)];
}
