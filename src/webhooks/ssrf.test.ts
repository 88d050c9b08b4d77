import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonRequest } from "./formatters/request.js";
import { GuardedHttpClient } from "./http-client.js";
import { checkTarget, classifyAddress, parseIPv6, type Resolver } from "./ssrf.js";

/**
 * The SSRF matrix: each blocked range, IPv4 and IPv6 and their mapped forms,
 * numeric host spellings and a name that resolves to loopback, refused by
 * the guard without a connection being made: a TCP listener on 127.0.0.1
 * (the only address anything here could reach) counts connections, and the
 * resolver is a fake that records what it was asked.
 */

let server: net.Server;
let port = 0;
let connections = 0;
beforeAll(async () => {
  server = net.createServer((s) => {
    connections += 1;
    s.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function fakeResolver(table: Record<string, string[]>): Resolver & { asked: string[] } {
  const asked: string[] = [];
  const resolver = (host: string) => {
    asked.push(host);
    const addresses = table[host];
    if (!addresses) return Promise.reject(new Error("ENOTFOUND"));
    return Promise.resolve(
      addresses.map((address) => ({ address, family: net.isIP(address) === 6 ? 6 : 4 }) as const),
    );
  };
  return Object.assign(resolver, { asked });
}

const BLOCKED_LITERALS: [string, string][] = [
  ["127.0.0.1", "loopback"],
  ["127.1.2.3", "loopback"],
  ["[::1]", "loopback"],
  ["[::ffff:127.0.0.1]", "loopback"],
  ["10.1.2.3", "private"],
  ["172.16.0.1", "private"],
  ["172.31.255.255", "private"],
  ["192.168.1.1", "private"],
  ["[fc00::1]", "private"],
  ["[fd12:3456::1]", "private"],
  ["[::ffff:10.0.0.1]", "private"],
  ["169.254.1.1", "link_local"],
  ["[fe80::1]", "link_local"],
  ["169.254.169.254", "metadata"],
  ["[::ffff:169.254.169.254]", "metadata"],
  ["[fd00:ec2::254]", "metadata"],
  ["100.64.0.1", "cgnat"],
  ["100.127.255.254", "cgnat"],
  ["0.0.0.0", "unspecified"],
  ["[::]", "unspecified"],
  ["224.0.0.1", "multicast"],
  ["[ff02::1]", "multicast"],
  ["255.255.255.255", "reserved"],
  ["[64:ff9b::7f00:1]", "loopback"],
  ["[::127.0.0.1]", "loopback"],
  ["[2002:7f00:1::]", "loopback"],
];

describe("address classes", () => {
  it.each(BLOCKED_LITERALS)("%s is %s", (host, cls) => {
    expect(classifyAddress(host.replace(/^\[(.*)\]$/, "$1"))).toBe(cls);
  });

  it("public addresses are public", () => {
    for (const ip of [
      "93.184.216.34",
      "1.1.1.1",
      "100.128.0.1",
      "172.32.0.1",
      "2606:4700:4700::1111",
      "[2001:4860::8888]",
    ])
      expect(classifyAddress(ip.replace(/^\[(.*)\]$/, "$1"))).toBe("public");
  });

  it("parses IPv6 forms strictly", () => {
    expect(parseIPv6("::ffff:1.2.3.4")?.slice(10)).toEqual([0xff, 0xff, 1, 2, 3, 4]);
    expect(parseIPv6("1:2:3:4:5:6:7:8:9")).toBeNull();
    expect(parseIPv6("1::2::3")).toBeNull();
    expect(parseIPv6("fe80::1%eth0")).toBeNull();
  });
});

describe("the guard refuses without connecting", () => {
  const resolver = fakeResolver({
    "rebind.example": ["127.0.0.1"],
    "mixed.example": ["93.184.216.34", "10.0.0.5"],
    "metadata.example": ["169.254.169.254"],
    "public.example": ["93.184.216.34"],
  });
  const client = new GuardedHttpClient({ allowPrivateTargets: false, resolver, timeoutMs: 2000 });
  afterAll(() => client.close());

  const cases: string[] = [
    ...BLOCKED_LITERALS.map(([host]) => `http://${host}:${port}/hook`),
    `http://2130706433:${port}/`, // decimal integer 127.0.0.1 (the URL parser normalises it)
    `http://0x7f000001:${port}/`,
    `http://0177.0.0.1:${port}/`,
    `http://127.1:${port}/`,
    `http://rebind.example:${port}/`,
    `http://mixed.example:${port}/`,
    `https://metadata.example:${port}/`,
  ];

  it.each(cases)("%s", async (url) => {
    const before = connections;
    const outcome = await client.send(jsonRequest(url, {}));
    expect(outcome).toMatchObject({ ok: false, blocked: true, statusCode: null });
    expect(outcome.error).toMatch(/^refused /);
    expect(connections).toBe(before);
  });

  it("refuses non-canonical numeric host names before asking DNS", async () => {
    const asked = resolver.asked.length;
    await expect(
      checkTarget(new URL("generic://2130706433/"), { resolver, allowPrivateTargets: true }),
    ).rejects.toMatchObject({
      code: "webhook_target_blocked",
    });
    await expect(
      checkTarget(new URL("generic://0x7f.1/"), { resolver, allowPrivateTargets: true }),
    ).rejects.toMatchObject({
      code: "webhook_target_blocked",
    });
    expect(resolver.asked.length).toBe(asked);
  });

  it("accepts a public address and connects to the checked one", async () => {
    const target = await checkTarget(new URL("https://public.example/x"), {
      resolver,
      allowPrivateTargets: false,
    });
    expect(target).toEqual({ hostname: "public.example", address: "93.184.216.34", family: 4 });
  });

  it("reports a name that does not resolve", async () => {
    await expect(
      checkTarget(new URL("https://nowhere.example/"), { resolver, allowPrivateTargets: false }),
    ).rejects.toMatchObject({ code: "webhook_resolve_failed" });
  });
});

describe("allow_private_targets", () => {
  const resolver = fakeResolver({ "lan.example": ["192.168.1.20"], "meta.example": ["169.254.169.254"] });
  const opts = { resolver, allowPrivateTargets: true };

  it("lifts loopback and private", async () => {
    await expect(checkTarget(new URL("http://127.0.0.1/"), opts)).resolves.toMatchObject({
      address: "127.0.0.1",
    });
    await expect(checkTarget(new URL("http://[::1]/"), opts)).resolves.toMatchObject({ address: "::1" });
    await expect(checkTarget(new URL("http://lan.example/"), opts)).resolves.toMatchObject({
      address: "192.168.1.20",
    });
  });

  it("never lifts the metadata address, link-local, CGNAT, unspecified or multicast", async () => {
    for (const url of [
      "http://169.254.169.254/latest/meta-data/",
      "http://[::ffff:169.254.169.254]/",
      "http://meta.example/",
      "http://169.254.1.1/",
      "http://100.64.0.1/",
      "http://0.0.0.0/",
      "http://[::]/",
      "http://224.0.0.1/",
    ])
      await expect(checkTarget(new URL(url), opts)).rejects.toMatchObject({ code: "webhook_target_blocked" });
  });

  it("lets a loopback receiver be reached through the client", async () => {
    const client = new GuardedHttpClient({ allowPrivateTargets: true, resolver, timeoutMs: 2000 });
    const before = connections;
    const outcome = await client.send(jsonRequest(`http://127.0.0.1:${port}/`, {}));
    client.close();
    expect(outcome.blocked).toBe(false);
    expect(connections).toBe(before + 1);
  });
});
