import { describe, expect, it } from "vitest";

import { type LiveAppStats, STATS_TTL_MS, StatsStore } from "./stats-store.js";

function stats(cpuPct: number): LiveAppStats {
  return {
    cpuPct,
    memBytes: 1_000_000,
    memLimit: 268_435_456,
    netMbps: 0.4,
    netTotalBytes: 123_456,
    diskMbps: 0,
    updatedAt: new Date("2025-01-01T00:00:00Z"),
  };
}

function clock(start = 1_000_000) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe("StatsStore", () => {
  it("defaults to a 45 s ttl", () => {
    const c = clock();
    const store = new StatsStore({ now: c.now });
    store.put(1, stats(1));
    c.advance(STATS_TTL_MS - 1);
    expect(store.get(1)?.cpuPct).toBe(1);
    c.advance(1);
    expect(store.get(1)).toBeUndefined();
    expect(STATS_TTL_MS).toBe(45_000);
  });

  it("returns what was put until the ttl passes, judged by the store's clock not updatedAt", () => {
    const c = clock();
    const store = new StatsStore({ ttlMs: 1000, now: c.now });
    // updatedAt is years in the past; it must not make the entry stale.
    store.put(7, stats(12.5));
    expect(store.get(7)).toEqual(stats(12.5));
    c.advance(999);
    expect(store.get(7)?.cpuPct).toBe(12.5);
    c.advance(1);
    expect(store.get(7)).toBeUndefined();
    expect(store.size).toBe(0); // the stale entry get() met is dropped
  });

  it("a later put refreshes the entry", () => {
    const c = clock();
    const store = new StatsStore({ ttlMs: 1000, now: c.now });
    store.put(1, stats(1));
    c.advance(800);
    store.put(1, stats(2));
    c.advance(800);
    expect(store.get(1)?.cpuPct).toBe(2);
    expect(store.get(2)).toBeUndefined();
  });

  it("put sweeps stale entries only once a ttl has passed since the last sweep", () => {
    const c = clock();
    const store = new StatsStore({ ttlMs: 1000, now: c.now });
    for (let id = 1; id <= 100; id++) store.put(id, stats(id));
    expect(store.size).toBe(100);

    c.advance(999);
    store.put(101, stats(0)); // < ttl since construction: no sweep
    expect(store.size).toBe(101);

    c.advance(1);
    store.put(102, stats(0)); // ttl since the last sweep: apps 1..100 are stale and go
    expect(store.size).toBe(2);
    expect(store.get(101)?.cpuPct).toBe(0);

    c.advance(500);
    store.put(103, stats(0)); // 101 and 102 are not yet stale, and no sweep is due
    expect(store.size).toBe(3);

    c.advance(600); // 1100 since the last sweep: 101 and 102 are stale and go, 103 (600 old) stays
    store.put(104, stats(0));
    expect(store.size).toBe(2);
    expect(store.get(103)).toBeDefined();
    expect(store.get(104)).toBeDefined();
  });

  it("without gets, memory stays bounded under churn of app ids", () => {
    const c = clock();
    const store = new StatsStore({ ttlMs: 1000, now: c.now });
    for (let i = 0; i < 10_000; i++) {
      store.put(i, stats(0));
      c.advance(10);
    }
    // At most the apps put in the last 2 ttl (one ttl of fresh, one between sweeps).
    expect(store.size).toBeLessThanOrEqual(200);
  });

  it("deleteApp forgets the app and is idempotent", () => {
    const store = new StatsStore({ now: clock().now });
    store.put(1, stats(1));
    store.put(2, stats(2));
    store.deleteApp(1);
    store.deleteApp(1);
    expect(store.get(1)).toBeUndefined();
    expect(store.get(2)?.cpuPct).toBe(2);
    expect(store.size).toBe(1);
  });

  it("copies stats in and out", () => {
    const store = new StatsStore({ now: clock().now });
    const s = stats(1);
    store.put(1, s);
    s.cpuPct = 99;
    s.updatedAt.setTime(0);
    const got = store.get(1);
    expect(got?.cpuPct).toBe(1);
    got!.updatedAt.setTime(0);
    expect(store.get(1)?.updatedAt.toISOString()).toBe("2025-01-01T00:00:00.000Z");
  });

  it("rejects a non-positive ttl", () => {
    expect(() => new StatsStore({ ttlMs: 0 })).toThrow(RangeError);
    expect(() => new StatsStore({ ttlMs: Number.NaN })).toThrow(RangeError);
  });
});
