import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { SEQ_PRUNE_AT, SEQ_WINDOW, SeqWindow } from "./seq-window.js";

describe("SeqWindow", () => {
  it("accepts every permutation of fresh seqs exactly once (property)", () => {
    fc.assert(
      fc.property(
        fc
          .uniqueArray(fc.integer({ min: 1, max: 255 }), { minLength: 1, maxLength: 200 })
          .chain((seqs) => fc.shuffledSubarray(seqs, { minLength: seqs.length, maxLength: seqs.length })),
        (seqs) => {
          const window = new SeqWindow();
          for (const seq of seqs) expect(window.accept(seq)).toBe(true);
          for (const seq of seqs) expect(window.accept(seq)).toBe(false);
        },
      ),
    );
  });

  it("rejects repeats and anything at or below highest - 256 (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5000 }), { maxLength: 2000 }), (seqs) => {
        const window = new SeqWindow();
        const accepted = new Set<number>();
        let highest = 0;
        for (const seq of seqs) {
          const expected = !accepted.has(seq) && seq > highest - SEQ_WINDOW;
          expect(window.accept(seq)).toBe(expected);
          if (expected) {
            accepted.add(seq);
            highest = Math.max(highest, seq);
          }
        }
        expect(window.highest).toBe(highest);
      }),
    );
  });

  it("draws the window edge at highest - 256", () => {
    const window = new SeqWindow();
    expect(window.accept(1000)).toBe(true);
    expect(window.accept(744)).toBe(false);
    expect(window.accept(745)).toBe(true);
    expect(window.accept(1001)).toBe(true);
    expect(window.accept(745)).toBe(false);
  });

  it("rejects seqs that are not safe integers >= 1", () => {
    const window = new SeqWindow();
    for (const bad of [0, -1, 1.5, Number.NaN, Infinity, 2 ** 53]) expect(window.accept(bad)).toBe(false);
    expect(window.size).toBe(0);
  });

  it("keeps memory bounded: 100k sequential accepts never hold more than the window", () => {
    const window = new SeqWindow();
    let largest = 0;
    for (let seq = 1; seq <= 100_000; seq++) {
      expect(window.accept(seq)).toBe(true);
      largest = Math.max(largest, window.size);
    }
    expect(largest).toBeLessThanOrEqual(SEQ_WINDOW);
    expect(window.size).toBeGreaterThanOrEqual(SEQ_WINDOW);
    // Still catches a replay inside the window after all that pruning.
    expect(window.accept(100_000 - 255)).toBe(false);
  });

  it("keeps memory bounded under out-of-order arrival", () => {
    const window = new SeqWindow();
    for (let base = 0; base < 50_000; base += 100) {
      for (let i = 99; i >= 0; i--) window.accept(base + i + 1);
      expect(window.size).toBeLessThanOrEqual(SEQ_PRUNE_AT + 1);
    }
  });
});
