import { describe, expect, it } from "vitest";
import { Loop } from "./loop.js";

/** A hand-driven timer: tests fire the scheduled tick themselves. */
function manualTimer() {
  const pending: { fn: () => void; ms: number }[] = [];
  return {
    pending,
    setTimer: (fn: () => void, ms: number) => {
      pending.push({ fn, ms });
      return { unref: () => undefined } as unknown as NodeJS.Timeout;
    },
    clearTimer: () => {
      pending.length = 0;
    },
    fire() {
      const next = pending.shift();
      if (!next) throw new Error("nothing scheduled");
      next.fn();
    },
  };
}

describe("Loop", () => {
  it("chains ticks with setTimeout, never overlapping, and keeps going after an error", async () => {
    const timer = manualTimer();
    const errors: object[] = [];
    let calls = 0;
    let release: (() => void) | undefined;
    const loop = new Loop({
      name: "t",
      intervalMs: 100,
      log: { error: (obj) => errors.push(obj) },
      setTimer: timer.setTimer,
      clearTimer: timer.clearTimer,
      tick: async () => {
        calls++;
        if (calls === 1) throw new Error("boom");
        await new Promise<void>((r) => (release = r));
        return calls;
      },
    });
    await loop.start();
    expect(timer.pending).toHaveLength(1);
    expect(timer.pending[0]?.ms).toBe(100);

    timer.fire(); // tick 1 fails
    await expect.poll(() => timer.pending.length).toBe(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ loop: "t" });

    timer.fire(); // tick 2 blocks: nothing new is scheduled while it runs
    await expect.poll(() => release !== undefined).toBe(true);
    expect(timer.pending).toHaveLength(0);

    const stopped = loop.stop();
    let done = false;
    void stopped.then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false); // stop waits for the tick in flight
    release?.();
    await stopped;
    expect(timer.pending).toHaveLength(0); // and nothing is scheduled after stop
    expect(calls).toBe(2);
  });

  it("stop is idempotent and safe before start; runOnce returns the tick's result", async () => {
    const loop = new Loop({
      name: "t",
      intervalMs: 10,
      log: { error: () => undefined },
      tick: () => Promise.resolve(42),
    });
    await loop.stop();
    await loop.stop();
    expect(await loop.runOnce()).toBe(42);
  });
});
