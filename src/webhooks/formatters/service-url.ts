import { invalidUrl, unsupportedUrl } from "../errors.js";

/**
 * Reading a Shoutrrr service URL the way Shoutrrr does: user info and host
 * as fields, query keys case-insensitive (`splitLines` = `splitlines`), each
 * key resolved through its aliases, and an unknown key an error rather than
 * a silently ignored typo. Error messages name keys, never values: values
 * can be tokens.
 */

export interface ServiceUrl {
  url: URL;
  /** Percent-decoded user and password ("" when absent). */
  user: string;
  password: string;
  /** Host (with port) exactly as written, not normalised: Shoutrrr hosts can be ids. */
  host: string;
  hostname: string;
  /** Path, percent-decoded, without the leading "/". */
  path: string;
  /** Canonical key -> first value. */
  params: Map<string, string>;
}

/**
 * Parses `raw` for `scheme` (e.g. "discord"). `keys` maps every accepted
 * lower-case key or alias to its canonical name; `passThrough`, when given,
 * receives unknown keys instead of rejecting them (generic forwards them).
 */
export function parseServiceUrl(
  raw: string,
  scheme: string,
  keys: Readonly<Record<string, string>>,
  passThrough?: (key: string, value: string) => void,
): ServiceUrl {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidUrl(`not a valid ${scheme}:// URL`);
  }
  if (url.protocol !== `${scheme}:`) throw invalidUrl(`expected a ${scheme}:// URL`);
  const params = new Map<string, string>();
  for (const [rawKey, value] of url.searchParams) {
    const key = rawKey.toLowerCase();
    const canonical = keys[key];
    if (canonical === undefined) {
      if (passThrough) passThrough(rawKey, value);
      else throw invalidUrl(`${scheme}: unknown query parameter "${rawKey}"`);
      continue;
    }
    if (!params.has(canonical)) params.set(canonical, value);
  }
  return {
    url,
    user: decode(url.username, scheme),
    password: decode(url.password, scheme),
    host: url.host,
    hostname: url.hostname,
    path: decode(url.pathname.replace(/^\//, ""), scheme),
    params,
  };
}

function decode(s: string, scheme: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw invalidUrl(`${scheme}: malformed percent-encoding`);
  }
}

const TRUE = new Set(["yes", "y", "true", "1", "on"]);
const FALSE = new Set(["no", "n", "false", "0", "off"]);

/** Shoutrrr's booleans: yes/no, true/false, 1/0, on/off (any case). */
export function boolParam(p: ServiceUrl, key: string, fallback: boolean, scheme: string): boolean {
  const raw = p.params.get(key);
  if (raw === undefined || raw === "") return fallback;
  const v = raw.toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw invalidUrl(`${scheme}: "${key}" must be yes or no`);
}

export function intParam(
  p: ServiceUrl,
  key: string,
  fallback: number,
  min: number,
  max: number,
  scheme: string,
): number {
  const raw = p.params.get(key);
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw invalidUrl(`${scheme}: "${key}" must be an integer from ${min} to ${max}`);
  return n;
}

/** Rejects a documented option we deliberately do not honour when it is switched on. */
export function refuseWhenOn(p: ServiceUrl, key: string, scheme: string, why: string): void {
  if (boolParam(p, key, false, scheme)) throw unsupportedUrl(`${scheme}: "${key}" is not supported (${why})`);
}

/** The value, or undefined when absent or empty. */
export function textParam(p: ServiceUrl, key: string): string | undefined {
  const v = p.params.get(key);
  return v === undefined || v === "" ? undefined : v;
}

/** `<scheme>://<host>` as a WHATWG URL (which normalises numeric hosts); an invalid host is a URL error. */
export function httpOrigin(scheme: "http" | "https", host: string, service: string): URL {
  try {
    return new URL(`${scheme}://${host}`);
  } catch {
    throw invalidUrl(`${service}: the host is not a valid host name`);
  }
}
