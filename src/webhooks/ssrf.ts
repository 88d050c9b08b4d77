import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { WebhookError } from "./errors.js";

/**
 * The SSRF guard. Before every send the destination host is resolved (an
 * injectable resolver, the system's getaddrinfo by default) and the send is
 * refused when ANY resolved address is, directly or in an IPv4-mapped /
 * compatible / NAT64 / 6to4 form:
 *
 *   loopback     127/8, ::1
 *   private      10/8, 172.16/12, 192.168/16, fc00::/7, fec0::/10
 *   link-local   169.254/16, fe80::/10
 *   metadata     169.254.169.254, fd00:ec2::254 (cloud instance metadata)
 *   CGNAT        100.64/10
 *   unspecified  0/8, ::
 *   multicast    224/4, ff00::/8
 *   reserved     240/4 (incl. broadcast), 192.0.0/24, 198.18/15
 *
 * A host whose last label is numeric but that is not a canonical dotted
 * quad (`2130706433`, `0x7f.1`, `127.1`, `010.0.0.1`) is refused outright:
 * resolvers disagree on what those mean. `allowPrivateTargets`
 * (`webhooks.allow_private_targets`) lifts the loopback and private classes
 * only; never the metadata addresses.
 *
 * The caller connects to the returned address, not to the name, so a DNS
 * answer that changes between the check and the connection (rebinding)
 * cannot redirect the request.
 */

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Every address of `hostname`. Rejects when it does not resolve. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) => {
  const found = await lookup(hostname, { all: true, verbatim: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

export type AddressClass =
  | "public"
  | "loopback"
  | "private"
  | "link_local"
  | "metadata"
  | "cgnat"
  | "unspecified"
  | "multicast"
  | "reserved";

/** Canonical dotted-quad IPv4 to bytes; null for anything else (including leading zeros). */
export function parseIPv4(s: string): number[] | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  const bytes = parts.map((p) => (/^(0|[1-9][0-9]{0,2})$/.test(p) ? Number(p) : NaN));
  return bytes.every((b) => b <= 255) ? bytes : null;
}

/** IPv6 (optionally in brackets, optionally with a trailing dotted IPv4) to 16 bytes; null otherwise. */
export function parseIPv6(input: string): number[] | null {
  const s = input.startsWith("[") && input.endsWith("]") ? input.slice(1, -1) : input;
  if (s.includes("%") || !s.includes(":")) return null;
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const groups = (part: string): number[] | null => {
    if (part === "") return [];
    const out: number[] = [];
    const items = part.split(":");
    for (let i = 0; i < items.length; i++) {
      const item = items[i] ?? "";
      if (i === items.length - 1 && item.includes(".")) {
        const v4 = parseIPv4(item);
        if (!v4) return null;
        out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      } else if (/^[0-9a-f]{1,4}$/i.test(item)) out.push(parseInt(item, 16));
      else return null;
    }
    return out;
  };
  const head = groups(halves[0] ?? "");
  const tail = halves.length === 2 ? groups(halves[1] ?? "") : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...Array<number>(missing).fill(0), ...tail];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

function classifyV4(b: readonly number[]): AddressClass {
  const [a = 0, b1 = 0, c = 0, d = 0] = b;
  if (a === 0) return "unspecified";
  if (a === 127) return "loopback";
  if (a === 10 || (a === 172 && b1 >= 16 && b1 <= 31) || (a === 192 && b1 === 168)) return "private";
  if (a === 169 && b1 === 254) return c === 169 && d === 254 ? "metadata" : "link_local";
  if (a === 100 && b1 >= 64 && b1 <= 127) return "cgnat";
  if (a >= 224 && a <= 239) return "multicast";
  if (a >= 240) return "reserved";
  if ((a === 192 && b1 === 0 && c === 0) || (a === 198 && (b1 === 18 || b1 === 19))) return "reserved";
  return "public";
}

const zero = (b: readonly number[], from: number, to: number): boolean =>
  b.slice(from, to).every((x) => x === 0);
const AWS_METADATA_V6 = parseIPv6("fd00:ec2::254") ?? [];

function classifyV6(b: readonly number[]): AddressClass {
  if (zero(b, 0, 16)) return "unspecified";
  if (zero(b, 0, 15) && b[15] === 1) return "loopback";
  // IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d, NAT64 64:ff9b::a.b.c.d.
  if (zero(b, 0, 10) && b[10] === 0xff && b[11] === 0xff) return classifyV4(b.slice(12));
  if (zero(b, 0, 12)) return classifyV4(b.slice(12));
  if (b[0] === 0 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zero(b, 4, 12))
    return classifyV4(b.slice(12));
  // 6to4 2002:AABB:CCDD::/48 embeds a.b.c.d.
  if (b[0] === 0x20 && b[1] === 0x02) {
    const inner = classifyV4(b.slice(2, 6));
    if (inner !== "public") return inner;
  }
  if (b.every((x, i) => x === AWS_METADATA_V6[i])) return "metadata";
  const first = b[0] ?? 0;
  const second = b[1] ?? 0;
  if ((first & 0xfe) === 0xfc) return "private";
  if (first === 0xfe && (second & 0xc0) === 0x80) return "link_local";
  if (first === 0xfe && (second & 0xc0) === 0xc0) return "private";
  if (first === 0xff) return "multicast";
  return "public";
}

/** The class of an IP literal; throws when `ip` is not one. */
export function classifyAddress(ip: string): AddressClass {
  const v4 = parseIPv4(ip);
  if (v4) return classifyV4(v4);
  const v6 = parseIPv6(ip);
  if (v6) return classifyV6(v6);
  throw new Error("not an IP address");
}

/** Whether a destination of this class may be contacted. */
export function isAllowed(cls: AddressClass, allowPrivateTargets: boolean): boolean {
  if (cls === "public") return true;
  return allowPrivateTargets && (cls === "loopback" || cls === "private");
}

/** True for hosts a URL parser reads as an IPv4 number but that are not canonical dotted quads. */
export function isAmbiguousNumericHost(hostname: string): boolean {
  const labels = hostname.replace(/\.$/, "").split(".");
  const last = labels[labels.length - 1] ?? "";
  return /^(0x[0-9a-f]*|[0-9]+)$/i.test(last) && parseIPv4(hostname) === null;
}

export interface TargetGuardOptions {
  resolver: Resolver;
  allowPrivateTargets: boolean;
}

export interface CheckedTarget {
  /** The host name as in the URL (no brackets). */
  hostname: string;
  /** The address that was checked, to connect to. */
  address: string;
  family: 4 | 6;
}

const blocked = (message: string): WebhookError => new WebhookError("webhook_target_blocked", message);

/**
 * Resolves and checks the host of an http(s) `url`. Returns the address to
 * connect to; throws WebhookError `webhook_target_blocked` (refused) or
 * `webhook_resolve_failed`. Makes no connection.
 */
export async function checkTarget(url: URL, opts: TargetGuardOptions): Promise<CheckedTarget> {
  const hostname = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (hostname === "") throw blocked("the URL has no host");
  let addresses: ResolvedAddress[];
  const literal = isIP(hostname);
  if (literal !== 0) {
    if (literal === 4 && parseIPv4(hostname) === null)
      throw blocked(`refused ${hostname}: not a canonical IPv4 address`);
    addresses = [{ address: hostname, family: literal === 6 ? 6 : 4 }];
  } else if (isAmbiguousNumericHost(hostname)) {
    throw blocked(`refused ${hostname}: numeric host names are not allowed; write the address as a.b.c.d`);
  } else {
    try {
      addresses = await opts.resolver(hostname);
    } catch (err) {
      throw new WebhookError("webhook_resolve_failed", `cannot resolve ${hostname}`, { cause: err });
    }
    if (addresses.length === 0)
      throw new WebhookError("webhook_resolve_failed", `${hostname} has no address`);
  }
  for (const a of addresses) {
    let cls: AddressClass;
    try {
      cls = classifyAddress(a.address);
    } catch {
      throw blocked(`refused ${hostname}: the resolver returned "${a.address}", not an IP address`);
    }
    if (!isAllowed(cls, opts.allowPrivateTargets)) {
      const shown = a.address === hostname ? hostname : `${hostname} (${a.address})`;
      throw blocked(
        `refused ${shown}: ${cls.replace("_", "-")} addresses are not allowed as webhook targets`,
      );
    }
  }
  const first = addresses[0] as ResolvedAddress;
  return { hostname, address: first.address, family: first.family };
}
