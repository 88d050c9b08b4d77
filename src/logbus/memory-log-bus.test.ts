import fc from "fast-check";
import { describe, expect, it } from "vitest";

import type { LogBus, LogLine } from "./log-bus.js";
import { LOG_RING_CAPACITY, MemoryLogBus } from "./memory-log-bus.js";

function line(appId: number, i: number, stream: LogLine["stream"] = "stdout"): LogLine {
  return { appId, ts: 1_764_418_500_000 + i, stream, line: `line ${i}` };
}

function lines(appId: number, from: number, to: number): LogLine[] {
  const out: LogLine[] = [];
  for (let i = from; i < to; i++) out.push(line(appId, i));
  return out;
}

const texts = (ls: readonly LogLine[]) => ls.map((l) => l.line);

describe("MemoryLogBus", () => {
  it("is a LogBus with a default ring of 1000 lines per app", () => {
    const bus: LogBus = new MemoryLogBus();
    expect(LOG_RING_CAPACITY).toBe(1000);
    bus.publish(lines(1, 0, 1500));
    const tail = bus.tail(1, 5000);
    expect(tail).toHaveLength(1000);
    expect(tail[0]?.line).toBe("line 500");
    expect(tail[999]?.line).toBe("line 1499");
  });

  it("tail returns the last n lines oldest first, per app", () => {
    const bus = new MemoryLogBus({ capacity: 5 });
    bus.publish([line(1, 0), line(2, 100), line(1, 1), line(1, 2)]);
    expect(texts(bus.tail(1, 2))).toEqual(["line 1", "line 2"]);
    expect(texts(bus.tail(1, 10))).toEqual(["line 0", "line 1", "line 2"]);
    expect(texts(bus.tail(2, 10))).toEqual(["line 100"]);
    expect(bus.tail(3, 10)).toEqual([]);
    expect(bus.tail(1, 0)).toEqual([]);
    expect(bus.tail(1, -1)).toEqual([]);
    expect(bus.tail(1, Number.NaN)).toEqual([]);
    expect(texts(bus.tail(1, 1.9))).toEqual(["line 2"]);
  });

  it("keeps exactly the last capacity lines, in order, across wrap-around (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer({ min: 0, max: 15 }), { maxLength: 30 }),
        fc.integer({ min: 0, max: 40 }),
        (capacity, batches, n) => {
          const bus = new MemoryLogBus({ capacity });
          const all: LogLine[] = [];
          for (const size of batches) {
            const batch = lines(1, all.length, all.length + size);
            bus.publish(batch);
            all.push(...batch);
          }
          const want = all.slice(Math.max(0, all.length - Math.min(n, capacity)));
          expect(texts(bus.tail(1, n))).toEqual(texts(want));
        },
      ),
    );
  });

  it("copies and freezes what it keeps", () => {
    const bus = new MemoryLogBus();
    const input = line(1, 0);
    bus.publish([input]);
    input.line = "changed";
    const [kept] = bus.tail(1, 1);
    expect(kept).toEqual(line(1, 0));
    expect(Object.isFrozen(kept)).toBe(true);
  });

  it("delivers each published line synchronously, in order, to the app's subscribers only", () => {
    const bus = new MemoryLogBus();
    const a: string[] = [];
    const b: string[] = [];
    const other: string[] = [];
    bus.subscribe(1, (l) => a.push(l.line));
    bus.subscribe(1, (l) => b.push(`${l.stream}:${l.line}`));
    bus.subscribe(2, (l) => other.push(l.line));
    bus.publish([line(1, 0), line(1, 1, "stderr"), line(3, 9)]);
    expect(a).toEqual(["line 0", "line 1"]);
    expect(b).toEqual(["stdout:line 0", "stderr:line 1"]);
    expect(other).toEqual([]);
  });

  it("unsubscribe stops delivery, is idempotent, and leaves other subscriptions of the same fn", () => {
    const bus = new MemoryLogBus();
    const got: string[] = [];
    const fn = (l: LogLine) => got.push(l.line);
    const first = bus.subscribe(1, fn);
    const second = bus.subscribe(1, fn);
    bus.publish([line(1, 0)]);
    expect(got).toEqual(["line 0", "line 0"]);
    first();
    first();
    bus.publish([line(1, 1)]);
    expect(got).toEqual(["line 0", "line 0", "line 1"]);
    second();
    bus.publish([line(1, 2)]);
    expect(got).toHaveLength(3);
  });

  it("a throwing subscriber breaks neither the others nor the publisher", () => {
    const errors: unknown[] = [];
    const bus = new MemoryLogBus({
      onSubscriberError: (err) => {
        errors.push(err);
        throw new Error("the hook fails too");
      },
    });
    const before: string[] = [];
    const after: string[] = [];
    bus.subscribe(1, (l) => before.push(l.line));
    bus.subscribe(1, () => {
      throw new Error("bad subscriber");
    });
    bus.subscribe(1, (l) => after.push(l.line));
    expect(() => bus.publish([line(1, 0), line(1, 1)])).not.toThrow();
    expect(before).toEqual(["line 0", "line 1"]);
    expect(after).toEqual(["line 0", "line 1"]);
    expect(errors).toHaveLength(2);
    expect(texts(bus.tail(1, 10))).toEqual(["line 0", "line 1"]);
  });

  it("a subscriber that unsubscribes another during delivery stops it at once", () => {
    const bus = new MemoryLogBus();
    const got: string[] = [];
    let stopSecond = () => {};
    bus.subscribe(1, () => stopSecond());
    stopSecond = bus.subscribe(1, (l) => got.push(l.line));
    bus.publish([line(1, 0)]);
    expect(got).toEqual([]);
  });

  it("holds no memory for an app without lines once its subscribers leave", () => {
    const bus = new MemoryLogBus();
    for (let appId = 0; appId < 10_000; appId++) {
      const unsubscribe = bus.subscribe(appId, () => {});
      unsubscribe();
    }
    expect(bus.appCount).toBe(0);

    const u1 = bus.subscribe(7, () => {});
    const u2 = bus.subscribe(7, () => {});
    expect(bus.appCount).toBe(1);
    u1();
    expect(bus.appCount).toBe(1);
    u2();
    expect(bus.appCount).toBe(0);
  });

  it("keeps an app's lines after its subscribers leave, until dropApp", () => {
    const bus = new MemoryLogBus();
    const unsubscribe = bus.subscribe(1, () => {});
    bus.publish([line(1, 0)]);
    unsubscribe();
    expect(bus.appCount).toBe(1);
    expect(bus.tail(1, 10)).toHaveLength(1);
    bus.dropApp(1);
    bus.dropApp(1);
    expect(bus.appCount).toBe(0);
    expect(bus.tail(1, 10)).toEqual([]);
  });

  it("dropApp frees the lines but keeps live subscribers", () => {
    const bus = new MemoryLogBus();
    const got: string[] = [];
    const unsubscribe = bus.subscribe(1, (l) => got.push(l.line));
    bus.publish([line(1, 0)]);
    bus.dropApp(1);
    expect(bus.tail(1, 10)).toEqual([]);
    expect(bus.appCount).toBe(1);
    bus.publish([line(1, 1)]);
    expect(got).toEqual(["line 0", "line 1"]);
    expect(texts(bus.tail(1, 10))).toEqual(["line 1"]);
    unsubscribe();
    bus.dropApp(1);
    expect(bus.appCount).toBe(0);
  });

  it("rejects a capacity below 1", () => {
    expect(() => new MemoryLogBus({ capacity: 0 })).toThrow(RangeError);
    expect(() => new MemoryLogBus({ capacity: 2.5 })).toThrow(RangeError);
  });
});
