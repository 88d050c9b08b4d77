import { describe, expect, it } from "vitest";
import { GroupWriter } from "./group-writer.js";
import { Limiter } from "./limiter.js";

describe("GroupWriter", () => {
  it("writes what was added in one turn together, and what arrives during a write in the next", async () => {
    const groups: number[][] = [];
    let release: (() => void) | undefined;
    const writer = new GroupWriter<number, string>(async (items) => {
      groups.push(items);
      if (groups.length === 1) await new Promise<void>((r) => (release = r));
      return items.map((i) => `#${i}`);
    });
    const first = [1, 2, 3].map((i) => writer.add(i));
    await new Promise((r) => setImmediate(r));
    expect(groups).toEqual([[1, 2, 3]]);
    const second = [4, 5].map((i) => writer.add(i));
    release!();
    expect(await Promise.all([...first, ...second])).toEqual(["#1", "#2", "#3", "#4", "#5"]);
    expect(groups).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    await writer.idle();
  });

  it("rejects the items of a failed write and goes on with the next", async () => {
    let calls = 0;
    const writer = new GroupWriter<number, number>((items) => {
      calls += 1;
      return calls === 1 ? Promise.reject(new Error("db down")) : Promise.resolve(items);
    });
    await expect(writer.add(1)).rejects.toThrow("db down");
    await expect(writer.add(2)).resolves.toBe(2);
  });

  it("caps a write at maxItems", async () => {
    const sizes: number[] = [];
    const writer = new GroupWriter<number, number>((items) => {
      sizes.push(items.length);
      return Promise.resolve(items);
    }, 2);
    await Promise.all([1, 2, 3, 4, 5].map((i) => writer.add(i)));
    expect(sizes).toEqual([2, 2, 1]);
  });
});

describe("Limiter", () => {
  it("runs at most `limit` at once, in FIFO order", async () => {
    const limiter = new Limiter(2);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      [1, 2, 3, 4, 5].map((i) =>
        limiter.run(async () => {
          active += 1;
          peak = Math.max(peak, active);
          order.push(i);
          await new Promise((r) => setImmediate(r));
          active -= 1;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(order).toEqual([1, 2, 3, 4, 5]);
  });
});
