import fc from "fast-check";
import { describe, expect, it } from "vitest";

import {
  LOG_BURST_BYTES,
  LOG_RATE_BYTES_PER_SEC,
  OncePer,
  RATE_LIMITED_ERROR_INTERVAL_MS,
  TokenBucket,
} from "./token-bucket.js";

const KiB = 1024;
const MiB = 1024 * KiB;

function clock(start = 5_000) {
  let t = start;
  return {
    now: () => t,
    set: (ms: number) => {
      t = ms;
    },
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe("TokenBucket", () => {
  it("has the protocol's log limits", () => {
    expect(LOG_RATE_BYTES_PER_SEC).toBe(256 * KiB);
    expect(LOG_BURST_BYTES).toBe(MiB);
  });

  it("lets 10 MiB offered over 10 s in 64 KiB chunks through as 1 MiB + 10 × 256 KiB (±1 chunk)", () => {
    const c = clock(0);
    const bucket = new TokenBucket({
      ratePerSec: LOG_RATE_BYTES_PER_SEC,
      burst: LOG_BURST_BYTES,
      now: c.now,
    });
    const chunk = 64 * KiB;
    const chunks = (10 * MiB) / chunk; // 160, one every 62.5 ms
    let passed = 0;
    for (let i = 0; i < chunks; i++) {
      c.set((i * 10_000) / chunks);
      if (bucket.take(chunk)) passed += chunk;
    }
    expect(Math.abs(passed - (MiB + 10 * 256 * KiB))).toBeLessThanOrEqual(chunk);
  });

  it("the same holds when the sender offers as fast as it can, every millisecond", () => {
    const c = clock(0);
    const bucket = new TokenBucket({
      ratePerSec: LOG_RATE_BYTES_PER_SEC,
      burst: LOG_BURST_BYTES,
      now: c.now,
    });
    const chunk = 64 * KiB;
    let passed = 0;
    for (let t = 0; t <= 10_000; t++) {
      c.set(t);
      if (bucket.take(chunk)) passed += chunk;
    }
    expect(Math.abs(passed - (MiB + 10 * 256 * KiB))).toBeLessThanOrEqual(chunk);
  });

  it("starts full, is all or nothing, and refills by elapsed time up to the burst", () => {
    const c = clock();
    const bucket = new TokenBucket({ ratePerSec: 100, burst: 50, now: c.now });
    expect(bucket.take(51)).toBe(false); // more than the burst never fits
    expect(bucket.take(30)).toBe(true);
    expect(bucket.take(30)).toBe(false); // 20 left: nothing is taken
    expect(bucket.available).toBe(20);
    c.advance(100); // +10
    expect(bucket.take(30)).toBe(true);
    expect(bucket.available).toBe(0);
    c.advance(60_000); // capped at the burst
    expect(bucket.available).toBe(50);
    expect(bucket.take(0)).toBe(true);
  });

  it("a clock that goes backwards adds nothing, and the interval is not counted twice", () => {
    const c = clock(10_000);
    const bucket = new TokenBucket({ ratePerSec: 1000, burst: 1000, now: c.now });
    expect(bucket.take(1000)).toBe(true);
    c.set(9_000);
    expect(bucket.available).toBe(0);
    c.set(10_100); // only 100 ms past the last refill, not 1100
    expect(bucket.available).toBeCloseTo(100);
  });

  it("never lets more through than burst + rate × elapsed (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 0, max: 2000 })), {
          maxLength: 300,
        }),
        (steps) => {
          const c = clock(0);
          const bucket = new TokenBucket({ ratePerSec: 1000, burst: 1500, now: c.now });
          let passed = 0;
          for (const [dt, n] of steps) {
            c.advance(dt);
            if (bucket.take(n)) passed += n;
            expect(passed).toBeLessThanOrEqual(1500 + c.now() + 1e-6);
          }
        },
      ),
    );
  });

  it("rejects bad options and a negative take", () => {
    expect(() => new TokenBucket({ ratePerSec: -1, burst: 1 })).toThrow(RangeError);
    expect(() => new TokenBucket({ ratePerSec: 1, burst: 0 })).toThrow(RangeError);
    expect(() => new TokenBucket({ ratePerSec: 1, burst: 1 }).take(-1)).toThrow(RangeError);
  });
});

describe("OncePer", () => {
  it("is ready at most once per second", () => {
    const c = clock();
    const once = new OncePer({ intervalMs: RATE_LIMITED_ERROR_INTERVAL_MS, now: c.now });
    expect(RATE_LIMITED_ERROR_INTERVAL_MS).toBe(1000);
    expect(once.ready()).toBe(true);
    expect(once.ready()).toBe(false);
    c.advance(999);
    expect(once.ready()).toBe(false);
    c.advance(1);
    expect(once.ready()).toBe(true);
    c.advance(500);
    expect(once.ready()).toBe(false);
  });

  it("over 10 s of calls every millisecond, is ready exactly 10 times", () => {
    const c = clock(0);
    const once = new OncePer({ intervalMs: 1000, now: c.now });
    let fired = 0;
    for (let t = 0; t < 10_000; t++) {
      c.set(t);
      if (once.ready()) fired++;
    }
    expect(fired).toBe(10);
  });

  it("restarts the interval when the clock goes backwards instead of blocking", () => {
    const c = clock(100_000);
    const once = new OncePer({ intervalMs: 1000, now: c.now });
    expect(once.ready()).toBe(true);
    c.set(0);
    expect(once.ready()).toBe(false);
    c.set(1000);
    expect(once.ready()).toBe(true);
  });
});
