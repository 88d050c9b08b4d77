import { formatDiscord } from "./discord.js";
import { formatGeneric } from "./generic.js";
import { formatGotify } from "./gotify.js";
import { formatNtfy } from "./ntfy.js";
import type { Formatter } from "./request.js";
import { formatSlack } from "./slack.js";
import { formatTelegram } from "./telegram.js";

export type { Formatter, OutboundRequest } from "./request.js";

/** The chat services, by URL scheme. http(s) URLs are not here: they get signed JSON. */
export const CHAT_FORMATTERS: Readonly<Record<string, Formatter>> = {
  discord: formatDiscord,
  slack: formatSlack,
  ntfy: formatNtfy,
  telegram: formatTelegram,
  gotify: formatGotify,
  generic: formatGeneric,
  "generic+https": formatGeneric,
  "generic+http": formatGeneric,
};

/** The formatter of a URL's scheme, or undefined when it is not a chat scheme. */
export function chatFormatterFor(url: string): Formatter | undefined {
  const colon = url.indexOf(":");
  if (colon <= 0) return undefined;
  return CHAT_FORMATTERS[url.slice(0, colon).toLowerCase()];
}
