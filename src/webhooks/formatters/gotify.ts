import { invalidUrl } from "../errors.js";
import type { WebhookPayload } from "../payload.js";
import { chatTitle, formatShoutrrrMessage } from "./message.js";
import { jsonRequest, type OutboundRequest } from "./request.js";
import { boolParam, httpOrigin, intParam, parseServiceUrl, refuseWhenOn, textParam } from "./service-url.js";

/**
 * Gotify, Shoutrrr grammar (nicholas-fedor/shoutrrr pkg/services/push/gotify,
 * Config.setURL: the last path segment is the token, what precedes it the
 * server's sub-path):
 *
 *   gotify://<host>[:<port>][/<subpath>]/<token>[/][?title=&priority=&disabletls=&useheader=&date=&extras=]
 *
 * The token is an application token: 15 characters starting with `A`
 * (Gotify < 3) or `gtfy<x>.` followed by key material (Gotify 3), as
 * Shoutrrr validates it. `priority` is -2..10 (default 0); `disabletls=yes`
 * sends over http; `useheader=yes` moves the token from the query string to
 * the `X-Gotify-Key` header; `extras` is a JSON object passed through.
 * Refused: `insecureskipverify=yes`.
 *
 * Request (Gotify REST API): POST <scheme>://<host><subpath>/message[?token=],
 * JSON `{message, title, priority[, date][, extras]}`. The title defaults to
 * `{event title} — {app}` instead of Shoutrrr's "Shoutrrr notification".
 */

const KEYS: Readonly<Record<string, string>> = {
  title: "title",
  priority: "priority",
  disabletls: "disabletls",
  insecureskipverify: "insecureskipverify",
  useheader: "useheader",
  date: "date",
  extras: "extras",
};

const LEGACY_TOKEN = /^A[A-Za-z0-9._-]{14}$/;
const TOKEN_V3 = /^gtfy[^.]\.[A-Za-z0-9_=-]{43,}$/;

function parseExtras(raw: string | undefined): Record<string, unknown> | undefined {
  if (raw === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw invalidUrl('gotify: "extras" must be a JSON object');
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw invalidUrl('gotify: "extras" must be a JSON object');
  return value as Record<string, unknown>;
}

export function formatGotify(raw: string, payload: WebhookPayload): OutboundRequest[] {
  const p = parseServiceUrl(raw, "gotify", KEYS);
  if (p.hostname === "") throw invalidUrl("gotify: the server host is missing");
  const segments = p.url.pathname.replace(/\/$/, "").split("/");
  const token = decodeURIComponent(segments.pop() ?? "");
  const subpath = segments.join("/");
  if (!LEGACY_TOKEN.test(token) && !TOKEN_V3.test(token))
    throw invalidUrl("gotify: the last path segment must be an application token");
  refuseWhenOn(p, "insecureskipverify", "gotify", "certificates are always verified");

  const priority = intParam(p, "priority", 0, -2, 10, "gotify");
  const useHeader = boolParam(p, "useheader", false, "gotify");
  const target = httpOrigin(boolParam(p, "disabletls", false, "gotify") ? "http" : "https", p.host, "gotify");
  target.pathname = `${subpath}/message`;
  if (!useHeader) target.searchParams.set("token", token);

  const dateRaw = textParam(p, "date");
  let date: string | undefined;
  if (dateRaw !== undefined) {
    const t = new Date(/^\d+$/.test(dateRaw) ? Number(dateRaw) * 1000 : dateRaw);
    if (Number.isNaN(t.getTime())) throw invalidUrl('gotify: "date" must be an ISO 8601 time');
    date = t.toISOString().replace(/\.\d{3}Z$/, "Z");
  }
  const extras = parseExtras(textParam(p, "extras"));
  const body = {
    message: formatShoutrrrMessage(payload),
    title: textParam(p, "title") ?? chatTitle(payload),
    priority,
    ...(date ? { date } : {}),
    ...(extras ? { extras } : {}),
  };
  return [jsonRequest(target.toString(), body, useHeader ? { "x-gotify-key": token } : {})];
}
