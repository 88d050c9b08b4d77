import { describe, expect, it } from "vitest";

import type { TokenResponse } from "./http-client.js";
import { TokenKeeper } from "./token-keeper.js";

const T0 = Date.parse("2026-11-29T12:00:00Z");

/** A hand-driven timer queue: tests fire timers themselves, nothing waits on the wall clock. */
function manualTimers() {
  const pending: { fn: () => void; ms: number; handle: NodeJS.Timeout }[] = [];
  return {
    pending,
    setTimer: (fn: () => void, ms: number): NodeJS.Timeout => {
      const handle = { unref: () => handle } as unknown as NodeJS.Timeout;
      pending.push({ fn, ms, handle });
      return handle;
    },
    clearTimer: (h: NodeJS.Timeout) => {
      const i = pending.findIndex((p) => p.handle === h);
      if (i >= 0) pending.splice(i, 1);
    },
    fire: () => pending.shift()?.fn(),
  };
}

function setup(replies: (() => Response)[]) {
  const timers = manualTimers();
  const refreshed: TokenResponse[] = [];
  const errors: object[] = [];
  const calls: string[] = [];
  const keeper = new TokenKeeper({
    baseUrl: "http://cp.invalid",
    apiKey: "k".repeat(64),
    now: () => T0,
    setTimer: timers.setTimer,
    clearTimer: timers.clearTimer,
    log: { error: (obj) => errors.push(obj) },
    onRefreshed: (t) => refreshed.push(t),
    fetch: (input) => {
      calls.push(input instanceof Request ? input.url : input.toString());
      const next = replies.shift();
      return next ? Promise.resolve(next()) : Promise.reject(new Error("no reply"));
    },
  });
  return { keeper, timers, refreshed, errors, calls };
}

const tokenAt = (ms: number, token = "t") =>
  new Response(JSON.stringify({ token, token_expires_at: new Date(ms).toISOString() }), { status: 200 });

describe("TokenKeeper", () => {
  it("schedules the refresh 2 minutes before expiry and chains the next one", async () => {
    const { keeper, timers, refreshed, calls } = setup([() => tokenAt(T0 + 15 * 60_000, "second")]);
    keeper.set({ token: "first", token_expires_at: new Date(T0 + 15 * 60_000).toISOString() });
    expect(keeper.dueInMs()).toBe(13 * 60_000);
    keeper.start();
    keeper.start(); // idempotent
    expect(timers.pending.map((p) => p.ms)).toEqual([13 * 60_000]);
    timers.fire();
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual(["http://cp.invalid/v1/workers/refresh-token"]);
    expect(refreshed.map((t) => t.token)).toEqual(["second"]);
    expect(keeper.current?.token).toBe("second");
    expect(timers.pending.map((p) => p.ms)).toEqual([13 * 60_000]);
    keeper.stop();
    expect(timers.pending).toEqual([]);
  });

  it("retries a failed refresh after refreshRetryMs and logs the failure", async () => {
    const unauthorized = () =>
      new Response(JSON.stringify({ error: { code: "unauthorized", message: "unknown key" } }), {
        status: 401,
      });
    const { keeper, timers, errors } = setup([unauthorized]);
    keeper.set({ token: "first", token_expires_at: new Date(T0 + 60_000).toISOString() });
    expect(keeper.dueInMs()).toBe(0);
    keeper.start();
    timers.fire();
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toHaveLength(1);
    expect(timers.pending.map((p) => p.ms)).toEqual([10_000]);
    expect(keeper.current?.token).toBe("first");
    keeper.stop();
  });

  it("keeps successive refreshes at least a second apart when tokens are short-lived", async () => {
    const { keeper, timers } = setup([() => tokenAt(T0 + 30_000)]);
    keeper.set({ token: "first", token_expires_at: new Date(T0 + 30_000).toISOString() });
    keeper.start();
    expect(timers.pending.map((p) => p.ms)).toEqual([0]);
    timers.fire();
    await new Promise((resolve) => setImmediate(resolve));
    expect(timers.pending.map((p) => p.ms)).toEqual([1_000]);
    keeper.stop();
  });
});
