import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { constantTimeEqual } from "./compare.js";

describe("constantTimeEqual", () => {
  it("is true exactly for equal values", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(constantTimeEqual(a, b)).toBe(a === b);
        expect(constantTimeEqual(a, a)).toBe(true);
      }),
    );
  });

  it("returns false without throwing for different lengths", () => {
    expect(constantTimeEqual("abc", "abcd")).toBe(false);
    expect(constantTimeEqual("", "a")).toBe(false);
    expect(constantTimeEqual(Buffer.alloc(0), Buffer.alloc(64))).toBe(false);
    expect(constantTimeEqual(Buffer.from("abc"), "abc")).toBe(true);
  });
});
