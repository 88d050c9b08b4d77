import { invalidUrl } from "../errors.js";
import type { WebhookPayload } from "../payload.js";
import { formatShoutrrrMessage } from "./message.js";
import type { OutboundRequest } from "./request.js";
import { boolParam, httpOrigin, parseServiceUrl, refuseWhenOn, textParam } from "./service-url.js";

/**
 * ntfy, Shoutrrr grammar (nicholas-fedor/shoutrrr docs/services/push/ntfy):
 *
 *   ntfy://[<user>[:<password>]@]<host>[:<port>]/<topic>[?title=&priority=&tags=&...]
 *
 * Query: `title`, `priority` (1-5 or min/low/default/high/max/urgent),
 * `tags`, `actions`, `click`, `attach`, `filename`, `delay` (aliases `at`,
 * `in`), `email`, `icon`, `markdown`, `cache`, `firebase`, `token` (Bearer,
 * wins over user/password), `scheme` (http|https, default https),
 * `disabletls` (forces http). Refused: `disabletlsverification=yes`.
 *
 * Request (https://docs.ntfy.sh/publish/): POST <scheme>://<host>/<topic>,
 * the message as the plain-text body and the options as headers (`Title`,
 * `Priority`, `Tags`, `Delay`, `Actions`, `Click`, `Attach`, `X-Icon`,
 * `Filename`, `Email`, `Cache: no`, `Firebase: no`, `Authorization`).
 * Header values outside Latin-1 are sent RFC 2047 encoded, which ntfy decodes.
 */

const KEYS: Readonly<Record<string, string>> = {
  title: "title",
  token: "token",
  scheme: "scheme",
  tags: "tags",
  priority: "priority",
  actions: "actions",
  click: "click",
  attach: "attach",
  filename: "filename",
  delay: "delay",
  at: "delay",
  in: "delay",
  email: "email",
  icon: "icon",
  markdown: "markdown",
  cache: "cache",
  firebase: "firebase",
  disabletlsverification: "disabletlsverification",
  disabletls: "disabletls",
};

const PRIORITIES: Readonly<Record<string, string>> = {
  "1": "1",
  "2": "2",
  "3": "3",
  "4": "4",
  "5": "5",
  min: "1",
  low: "2",
  default: "3",
  high: "4",
  max: "5",
  urgent: "5",
};

/** RFC 2047 `=?UTF-8?B?...?=` for values HTTP headers cannot carry as they are. */
export function headerValue(value: string): string {
  const oneLine = value.replace(/[\r\n]+/g, " ");
  return /^[\x20-\x7e]*$/.test(oneLine)
    ? oneLine
    : `=?UTF-8?B?${Buffer.from(oneLine, "utf8").toString("base64")}?=`;
}

export function formatNtfy(raw: string, payload: WebhookPayload): OutboundRequest[] {
  const p = parseServiceUrl(raw, "ntfy", KEYS);
  const topic = p.path.replace(/\/+$/, "");
  if (p.hostname === "") throw invalidUrl("ntfy: the server host is missing");
  if (topic === "") throw invalidUrl("ntfy: the topic (path) is missing");
  refuseWhenOn(p, "disabletlsverification", "ntfy", "certificates are always verified");

  const scheme = (textParam(p, "scheme") ?? "https").toLowerCase();
  if (scheme !== "http" && scheme !== "https") throw invalidUrl('ntfy: "scheme" must be http or https');
  const target = httpOrigin(boolParam(p, "disabletls", false, "ntfy") ? "http" : scheme, p.host, "ntfy");
  target.pathname = `/${topic}`;

  const headers: Record<string, string> = {
    "content-type": boolParam(p, "markdown", false, "ntfy") ? "text/markdown" : "text/plain; charset=utf-8",
  };
  const priorityRaw = textParam(p, "priority");
  if (priorityRaw !== undefined) {
    const priority = PRIORITIES[priorityRaw.toLowerCase()];
    if (priority === undefined)
      throw invalidUrl('ntfy: "priority" must be 1-5 or min, low, default, high, max');
    headers.priority = priority;
  }
  const passHeaders: [string, string][] = [
    ["title", "title"],
    ["tags", "tags"],
    ["delay", "delay"],
    ["actions", "actions"],
    ["click", "click"],
    ["attach", "attach"],
    ["icon", "x-icon"],
    ["filename", "filename"],
    ["email", "email"],
  ];
  for (const [key, header] of passHeaders) {
    const value = textParam(p, key);
    if (value !== undefined) headers[header] = headerValue(value);
  }
  if (!boolParam(p, "cache", true, "ntfy")) headers.cache = "no";
  if (!boolParam(p, "firebase", true, "ntfy")) headers.firebase = "no";
  const token = textParam(p, "token");
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  else if (p.user !== "" || p.password !== "")
    headers.authorization = `Basic ${Buffer.from(`${p.user}:${p.password}`, "utf8").toString("base64")}`;

  return [{ url: target.toString(), method: "POST", headers, body: formatShoutrrrMessage(payload) }];
}
