import { InvalidRequestError } from "../errors.js";

/**
 * Hostnames as the platform accepts them: the one check used where a
 * hostname enters the system (custom domains in the user API) and again where
 * one is rendered into a Traefik rule, so a value that slipped past entry
 * (an old row, a hand edit) is dropped rather than rendered.
 *
 * Accepted: ASCII letters, digits, hyphens and dots only (internationalized
 * names must arrive in their punycode `xn--` form); labels of 1 to 63
 * characters that neither start nor end with a hyphen (RFC 1123); at most 253
 * characters in all; at least `minLabels` labels (2 by default: a custom
 * domain is never a bare TLD or a single-label intranet name); a last label
 * that is not all digits (so an IPv4 address is never taken for a name). One
 * trailing dot (the absolute form) is accepted and removed. Letters are
 * lowercased. Nothing is trimmed: surrounding whitespace is refused like any
 * other character outside the set, and so are wildcards.
 */

export const HOSTNAME_MAX_LENGTH = 253;
export const HOSTNAME_LABEL_MAX_LENGTH = 63;

export interface HostnameRules {
  /** Fewest labels accepted; 2 unless stated. */
  minLabels?: number;
}

export type HostnameCheck = { ok: true; hostname: string } | { ok: false; reason: string };

const ALLOWED_CHARS = /^[A-Za-z0-9.-]+$/;
const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const ALL_DIGITS = /^[0-9]+$/;
/**
 * A well-formed lowercase name in one pass: labels of 1..63, no edge
 * hyphens. Linear: the dot never matches a label character, so a failed
 * label backtracks at most 62 steps.
 */
const WELL_FORMED = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * Checks and normalizes `input`. Never throws; the reason never echoes the
 * input (it may hold control characters). Runs in time linear in the input,
 * and refuses anything longer than 254 characters before looking further.
 */
export function validateHostname(input: string, rules: HostnameRules = {}): HostnameCheck {
  const minLabels = rules.minLabels ?? 2;
  if (input.length === 0) return refuse("hostname is empty");
  if (input.length > HOSTNAME_MAX_LENGTH + 1)
    return refuse(`hostname is longer than ${HOSTNAME_MAX_LENGTH} characters`);
  // The character set is checked before lowercasing: some non-ASCII letters
  // (the Kelvin sign, for one) lowercase to ASCII ones.
  if (!ALLOWED_CHARS.test(input)) {
    return refuse("hostname may contain only letters a-z, digits, hyphens and dots");
  }
  const name = (input.endsWith(".") ? input.slice(0, -1) : input).toLowerCase();
  if (name.length === 0) return refuse("hostname is empty");
  if (name.length > HOSTNAME_MAX_LENGTH)
    return refuse(`hostname is longer than ${HOSTNAME_MAX_LENGTH} characters`);
  if (!WELL_FORMED.test(name)) return refuse(labelProblem(name));
  const lastDot = name.lastIndexOf(".");
  if (countDots(name) + 1 < minLabels) return refuse(`hostname must have at least ${minLabels} labels`);
  if (ALL_DIGITS.test(name.slice(lastDot + 1))) return refuse("hostname ends in an all-numeric label");
  return { ok: true, hostname: name };
}

/** Why a name of allowed characters is not well formed (the slow path, for the message). */
function labelProblem(name: string): string {
  for (const label of name.split(".")) {
    if (label.length === 0) return "hostname has an empty label";
    if (label.length > HOSTNAME_LABEL_MAX_LENGTH) {
      return `hostname has a label longer than ${HOSTNAME_LABEL_MAX_LENGTH} characters`;
    }
    if (!LABEL.test(label)) return "hostname has a label that starts or ends with a hyphen";
  }
  return "hostname is malformed";
}

function countDots(name: string): number {
  let n = 0;
  for (let i = name.indexOf("."); i !== -1; i = name.indexOf(".", i + 1)) n += 1;
  return n;
}

/**
 * The entry point for the user API: the normalized (lowercase) hostname, or
 * an InvalidRequestError (code `invalid_request`, field `hostname`) saying
 * why it was refused.
 */
export function normalizeHostname(input: string, rules: HostnameRules = {}): string {
  const check = validateHostname(input, rules);
  if (!check.ok) throw new InvalidRequestError(check.reason, "hostname");
  return check.hostname;
}

/**
 * True when `hostname` is `domain` or a name under it (both normalized). The
 * user API refuses custom domains under the base domain, and the renderer
 * drops them, so one app cannot claim another app's `<slug>.<base>` host.
 */
export function isWithinDomain(hostname: string, domain: string): boolean {
  return hostname === domain || hostname.endsWith(`.${domain}`);
}

function refuse(reason: string): HostnameCheck {
  return { ok: false, reason };
}
