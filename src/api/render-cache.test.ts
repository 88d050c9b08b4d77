import { describe, expect, it } from "vitest";
import { RenderCache } from "./render-cache.js";

/** A cache over a counter, on a clock the test moves. */
function setup(load?: () => Promise<number>) {
  let clock = 1_000;
  let loads = 0;
  const cache = new RenderCache<number>({
    ttlMs: 5000,
    now: () => clock,
    load: load ?? (() => Promise.resolve(++loads)),
  });
  return {
    cache,
    loads: () => loads,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

/** A promise and the functions that settle it. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("RenderCache", () => {
  it("serves one load for the TTL and loads again from its end", async () => {
    const t = setup();
    expect(await t.cache.get()).toBe(1);
    t.advance(4999);
    expect(await t.cache.get()).toBe(1);
    t.advance(1);
    expect(await t.cache.get()).toBe(2);
    expect(t.loads()).toBe(2);
  });

  it("shares one load among concurrent callers", async () => {
    const d = deferred<number>();
    let loads = 0;
    const t = setup(() => {
      loads += 1;
      return d.promise;
    });
    const calls = [t.cache.get(), t.cache.get(), t.cache.get()];
    d.resolve(7);
    expect(await Promise.all(calls)).toEqual([7, 7, 7]);
    expect(loads).toBe(1);
  });

  it("does not keep a failed load", async () => {
    let n = 0;
    const t = setup(() => (++n === 1 ? Promise.reject(new Error("db down")) : Promise.resolve(n)));
    await expect(t.cache.get()).rejects.toThrow("db down");
    expect(await t.cache.get()).toBe(2);
  });

  it("turns a load that throws synchronously into a rejection", async () => {
    const t = setup(() => {
      throw new Error("sync");
    });
    await expect(t.cache.get()).rejects.toThrow("sync");
  });

  it("invalidate drops the value at once", async () => {
    const t = setup();
    expect(await t.cache.get()).toBe(1);
    t.cache.invalidate();
    expect(await t.cache.get()).toBe(2);
  });

  it("does not store or share a load that was in flight when invalidated", async () => {
    const first = deferred<number>();
    let n = 0;
    const t = setup(() => (++n === 1 ? first.promise : Promise.resolve(n)));
    const stale = t.cache.get();
    t.cache.invalidate();
    const fresh = t.cache.get();
    first.resolve(1);
    expect(await stale).toBe(1);
    expect(await fresh).toBe(2);
    expect(await t.cache.get()).toBe(2);
  });

  it("counts a clock that steps backwards as expiry", async () => {
    const t = setup();
    expect(await t.cache.get()).toBe(1);
    t.advance(-1);
    expect(await t.cache.get()).toBe(2);
  });
});
