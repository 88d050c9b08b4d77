import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signUp, type ApiClient } from "../helpers/api-client.js";
import { startTestControlPlane, type TestControlPlane } from "../helpers/control-plane.js";
import { makeApp } from "../helpers/db-fixtures.js";
import { HOSTILE_HOSTNAMES } from "../helpers/hostile-hostnames.js";

/** TXT records by name; a name absent from the map is NXDOMAIN, an Error is thrown as it is. */
const dns = new Map<string, string[][] | Error>();
const lookups: string[] = [];

function dnsError(code: string): Error {
  return Object.assign(new Error(`queryTxt ${code}`), { code });
}

let cp: TestControlPlane;
let alice: ApiClient;
let bob: ApiClient;
let aliceApp: string;
let aliceOther: string;
let bobApp: string;

async function userId(c: ApiClient): Promise<number> {
  return ((await c.get("/me")).body as { user: { id: number } }).user.id;
}

beforeAll(async () => {
  cp = await startTestControlPlane(
    {
      resolveTxt: (name) => {
        lookups.push(name);
        const r = dns.get(name);
        if (r === undefined) return Promise.reject(dnsError("ENOTFOUND"));
        if (r instanceof Error) return Promise.reject(r);
        return Promise.resolve(r);
      },
    },
    { WISEHOSTING_BASE_DOMAIN: "apps.example.io", WISEHOSTING_AUTH_OPEN_SIGNUP: "true" },
  );
  alice = await signUp(cp.url, "alice@example.com");
  bob = await signUp(cp.url, "bob@example.com");
  const db = cp.t.db.kysely;
  aliceApp = (await makeApp(db, await userId(alice))).slug;
  aliceOther = (await makeApp(db, await userId(alice))).slug;
  bobApp = (await makeApp(db, await userId(bob))).slug;
});
afterAll(() => cp.stop());

describe("adding a domain", () => {
  it("returns the TXT record to create, normalized, and lists it unverified", async () => {
    const r = await alice.post(`/apps/${aliceApp}/domains`, { hostname: "WWW.Shop.Example.com." });
    expect(r.status).toBe(201);
    expect(r.body.domain).toMatchObject({
      hostname: "www.shop.example.com",
      verified: false,
      verified_at: null,
      txt_record: { name: "_wisehosting-challenge.www.shop.example.com" },
    });
    expect(r.body.domain.txt_record.value).toMatch(/^[0-9a-f]{64}$/);
    const list = await alice.get(`/apps/${aliceApp}/domains`);
    expect(list.status).toBe(200);
    expect(list.body.domains.map((d: { hostname: string }) => d.hostname)).toEqual(["www.shop.example.com"]);
  });

  it.each(HOSTILE_HOSTNAMES)("refuses %s with a 400 naming hostname", async (_what, hostname) => {
    const r = await alice.post(`/apps/${aliceApp}/domains`, { hostname });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("invalid_request");
    expect(r.body.error.message).toMatch(/^hostname/);
  });

  it("refuses names within the platform's base domain", async () => {
    const base = cp.config.proxy.base_domain;
    expect(base).toBe("apps.example.io");
    for (const hostname of [base, `${bobApp}.${base}`, `a.b.${base}.`.toUpperCase()]) {
      const r = await alice.post(`/apps/${aliceApp}/domains`, { hostname });
      expect(r.status, hostname).toBe(400);
      expect(r.body.error.message, hostname).toMatch(/^hostname: names within apps\.example\.io/);
    }
    // A name that merely ends with the same letters is not within it.
    const near = await alice.post(`/apps/${aliceApp}/domains`, { hostname: "myapps.example.io" });
    expect(near.status).toBe(201);
  });

  it("refuses a hostname claimed by another app, without naming its owner", async () => {
    expect((await bob.post(`/apps/${bobApp}/domains`, { hostname: "bob.example.org" })).status).toBe(201);
    const r = await alice.post(`/apps/${aliceApp}/domains`, { hostname: "bob.example.org" });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe("hostname_taken");
    expect(JSON.stringify(r.body)).not.toContain("bob@");
    expect(JSON.stringify(r.body)).not.toContain(bobApp);
    // Also between two apps of one user.
    const own = await alice.post(`/apps/${aliceApp}/domains`, { hostname: "twice.example.com" });
    expect(own.status).toBe(201);
    const other = await alice.post(`/apps/${aliceOther}/domains`, { hostname: "twice.example.com" });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe("hostname_taken");
  });

  it("treats another user's app as missing", async () => {
    expect((await alice.get(`/apps/${bobApp}/domains`)).status).toBe(404);
    expect((await alice.post(`/apps/${bobApp}/domains`, { hostname: "x.example.com" })).status).toBe(404);
    expect((await alice.post(`/apps/${bobApp}/domains/bob.example.org/verify`)).status).toBe(404);
    expect((await alice.delete(`/apps/${bobApp}/domains/bob.example.org`)).status).toBe(404);
    // Alice's own app does not have Bob's domain either.
    expect((await alice.delete(`/apps/${aliceApp}/domains/bob.example.org`)).status).toBe(404);
    expect((await bob.get(`/apps/${bobApp}/domains`)).body.domains).toHaveLength(1);
  });
});

describe("verifying a domain", () => {
  const host = "verify.example.net";
  const record = `_wisehosting-challenge.${host}`;
  let token: string;

  beforeAll(async () => {
    const r = await alice.post(`/apps/${aliceApp}/domains`, { hostname: host });
    expect(r.status).toBe(201);
    token = r.body.domain.txt_record.value as string;
  });

  it("fails with domain_unverified when there is no TXT record", async () => {
    const r = await alice.post(`/apps/${aliceApp}/domains/${host}/verify`);
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe("domain_unverified");
    expect(r.body.error.message).toContain(`no TXT record at ${record}`);
    expect(lookups).toContain(record);
    dns.set(record, dnsError("ENODATA"));
    const nodata = await alice.post(`/apps/${aliceApp}/domains/${host}/verify`);
    expect(nodata.status).toBe(409);
    expect(nodata.body.error.message).toContain("no TXT record at");
  });

  it("fails with what it found when the value is wrong, bounded", async () => {
    dns.set(record, [["v=spf1 -all"], ["x".repeat(5000), "\u0007bell"]]);
    const r = await alice.post(`/apps/${aliceApp}/domains/${host}/verify`);
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe("domain_unverified");
    expect(r.body.error.message).toContain('found TXT "v=spf1 -all"');
    expect(r.body.error.message).toContain(`but expected ${token}`);
    expect(r.body.error.message.length).toBeLessThan(600);
    expect(r.body.error.message).not.toContain("\u0007");
    expect((await alice.get(`/apps/${aliceApp}/domains`)).body.domains).toContainEqual(
      expect.objectContaining({ hostname: host, verified: false }),
    );
  });

  it("marks the domain verified when one record holds the token (multi-string records joined)", async () => {
    dns.set(record, [["unrelated"], [token.slice(0, 20), token.slice(20)]]);
    const r = await alice.post(`/apps/${aliceApp}/domains/${host.toUpperCase()}/verify`);
    expect(r.status).toBe(200);
    expect(r.body.domain).toMatchObject({ hostname: host, verified: true });
    expect(Date.parse(r.body.domain.verified_at as string)).not.toBeNaN();
    const list = await alice.get(`/apps/${aliceApp}/domains`);
    expect(list.body.domains).toContainEqual(expect.objectContaining({ hostname: host, verified: true }));
  });

  it("removes a domain, after which it is gone and free to claim", async () => {
    expect((await alice.delete(`/apps/${aliceApp}/domains/${host}`)).status).toBe(204);
    expect((await alice.delete(`/apps/${aliceApp}/domains/${host}`)).status).toBe(404);
    expect((await alice.post(`/apps/${aliceApp}/domains/${host}/verify`)).status).toBe(404);
    const again = await bob.post(`/apps/${bobApp}/domains`, { hostname: host });
    expect(again.status).toBe(201);
    expect(again.body.domain.txt_record.value).not.toBe(token);
  });

  it("refuses a malformed hostname in the path", async () => {
    const r = await alice.post(`/apps/${aliceApp}/domains/a_b.example.com/verify`);
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/^hostname/);
  });
});
