import { invalidUrl, unsupportedUrl } from "../errors.js";
import type { WebhookPayload } from "../payload.js";
import { chatTitle, formatShoutrrrMessage } from "./message.js";
import type { OutboundRequest } from "./request.js";
import { boolParam, httpOrigin, parseServiceUrl, textParam, type ServiceUrl } from "./service-url.js";

/**
 * Generic webhook, Shoutrrr grammar (nicholas-fedor/shoutrrr docs/services/specialized/generic):
 *
 *   generic://<host>[:<port>]/<path>[?<options>&<forwarded>]   sent over https (http with disabletls=yes)
 *   generic+https://<host>/<path>[?...]  and  generic+http://...   the target URL with a prefix
 *
 * Options: `template` (none, or `json`), `titlekey` (default "title"),
 * `messagekey` (default "message"), `contenttype` (default
 * application/json; only with a template: without one the body is the plain
 * text and the type text/plain), `method` (default POST; POST, PUT or PATCH),
 * `disabletls`, `title`, and `$key=value` extra fields of the JSON template.
 * Every other query parameter is forwarded to the target; `_key` forwards a
 * reserved name as `key`. User info in the URL is sent as Basic auth.
 * Refused: `@header=value` custom headers (not a feature here) and named
 * templates other than `json`.
 */

const KEYS: Readonly<Record<string, string>> = {
  template: "template",
  titlekey: "titlekey",
  messagekey: "messagekey",
  contenttype: "contenttype",
  method: "method",
  disabletls: "disabletls",
  title: "title",
};

const METHODS = ["POST", "PUT", "PATCH"] as const;

export const GENERIC_SCHEMES = ["generic", "generic+https", "generic+http"] as const;

export function formatGeneric(raw: string, payload: WebhookPayload): OutboundRequest[] {
  const scheme = raw.slice(0, raw.indexOf(":")).toLowerCase();
  if (!(GENERIC_SCHEMES as readonly string[]).includes(scheme)) throw invalidUrl("expected a generic:// URL");
  const forwarded: [string, string][] = [];
  const extras: [string, string][] = [];
  const p = parseServiceUrl(raw, scheme, KEYS, (key, value) => {
    if (key.startsWith("@")) throw unsupportedUrl(`generic: custom headers ("${key}") are not supported`);
    if (key.startsWith("$")) extras.push([key.slice(1), value]);
    else forwarded.push([key.startsWith("_") ? key.slice(1) : key, value]);
  });
  if (p.hostname === "") throw invalidUrl("generic: the host is missing");

  const tls = scheme === "generic+http" ? false : !boolParam(p, "disabletls", false, "generic");
  const target = httpOrigin(tls ? "https" : "http", p.host, "generic");
  target.pathname = p.url.pathname;
  for (const [k, v] of forwarded) target.searchParams.append(k, v);

  const method = (textParam(p, "method") ?? "POST").toUpperCase();
  if (!(METHODS as readonly string[]).includes(method))
    throw invalidUrl('generic: "method" must be POST, PUT or PATCH');
  const headers: Record<string, string> = {};
  if (p.user !== "" || p.password !== "")
    headers.authorization = `Basic ${Buffer.from(`${p.user}:${p.password}`, "utf8").toString("base64")}`;

  const message = formatShoutrrrMessage(payload);
  const body = templateBody(p, payload, message, extras);
  const contentType = body === undefined ? "text/plain" : (textParam(p, "contenttype") ?? "application/json");
  headers["content-type"] = contentType;
  headers.accept = contentType;
  return [
    { url: target.toString(), method: method as OutboundRequest["method"], headers, body: body ?? message },
  ];
}

/** The JSON template's body, or undefined when there is no template (plain text). */
function templateBody(
  p: ServiceUrl,
  payload: WebhookPayload,
  message: string,
  extras: readonly [string, string][],
): string | undefined {
  const template = textParam(p, "template");
  if (template === undefined) return undefined;
  if (template.toLowerCase() !== "json")
    throw unsupportedUrl(`generic: only the "json" template is supported`);
  const fields: Record<string, string> = {};
  fields[textParam(p, "titlekey") ?? "title"] = textParam(p, "title") ?? chatTitle(payload);
  fields[textParam(p, "messagekey") ?? "message"] = message;
  for (const [k, v] of extras) fields[k] = v;
  return JSON.stringify(fields);
}
