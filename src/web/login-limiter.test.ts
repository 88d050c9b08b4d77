import { describe, expect, it } from "vitest";
import { LoginLimiter, RateLimitedError } from "./login-limiter.js";

function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

function refused(fn: () => void): RateLimitedError | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof RateLimitedError) return err;
    throw err;
  }
}

describe("LoginLimiter", () => {
  it("refuses an account after its burst of failures, with the refill as retry-after", () => {
    const c = clock();
    const l = new LoginLimiter({ accountBurst: 3, accountRefillS: 60, ipBurst: 100, now: c.now });
    for (let i = 0; i < 3; i++) {
      l.check("a@example.com", "10.0.0.1");
      l.recordFailure("a@example.com", "10.0.0.1");
    }
    const err = refused(() => l.check("a@example.com", "10.0.0.9"));
    expect(err?.code).toBe("rate_limited");
    expect(err?.retryAfterS).toBe(60);
    // Emails are compared case-insensitively; other accounts are unaffected.
    expect(refused(() => l.check("A@Example.COM", "10.0.0.9"))).toBeDefined();
    expect(refused(() => l.check("b@example.com", "10.0.0.1"))).toBeUndefined();
  });

  it("lets one more attempt through per refill interval", () => {
    const c = clock();
    const l = new LoginLimiter({ accountBurst: 2, accountRefillS: 30, ipBurst: 100, now: c.now });
    l.recordFailure("a@x.io", "ip");
    l.recordFailure("a@x.io", "ip");
    expect(refused(() => l.check("a@x.io", "ip"))).toBeDefined();
    c.advance(29_000);
    expect(refused(() => l.check("a@x.io", "ip"))).toBeDefined();
    c.advance(1_000);
    expect(refused(() => l.check("a@x.io", "ip"))).toBeUndefined();
    l.recordFailure("a@x.io", "ip");
    expect(refused(() => l.check("a@x.io", "ip"))).toBeDefined();
  });

  it("limits one address across many accounts", () => {
    const c = clock();
    const l = new LoginLimiter({ accountBurst: 100, ipBurst: 4, ipRefillS: 15, now: c.now });
    for (let i = 0; i < 4; i++) l.recordFailure(`u${i}@x.io`, "192.0.2.1");
    const err = refused(() => l.check("fresh@x.io", "192.0.2.1"));
    expect(err?.retryAfterS).toBe(15);
    expect(refused(() => l.check("fresh@x.io", "192.0.2.2"))).toBeUndefined();
  });

  it("clears an account's failures on success but not its address's", () => {
    const c = clock();
    const l = new LoginLimiter({ accountBurst: 2, ipBurst: 3, now: c.now });
    l.recordFailure("a@x.io", "ip");
    l.recordFailure("a@x.io", "ip");
    expect(refused(() => l.check("a@x.io", "other-ip"))).toBeDefined();
    l.recordSuccess("A@x.io");
    expect(refused(() => l.check("a@x.io", "other-ip"))).toBeUndefined();
    l.recordFailure("b@x.io", "ip");
    expect(refused(() => l.check("c@x.io", "ip"))).toBeDefined();
  });

  it("forgets the least recently used keys beyond maxKeys", () => {
    const c = clock();
    const l = new LoginLimiter({ accountBurst: 1, ipBurst: 100, maxKeys: 2, now: c.now });
    l.recordFailure("a@x.io", "ip");
    l.recordFailure("b@x.io", "ip");
    l.recordFailure("c@x.io", "ip");
    expect(refused(() => l.check("a@x.io", "ip"))).toBeUndefined();
    expect(refused(() => l.check("b@x.io", "ip"))).toBeDefined();
    expect(refused(() => l.check("c@x.io", "ip"))).toBeDefined();
  });
});
