import { describe, expect, it } from "vitest";
import { deriveSlug, slugProblem } from "./derive-slug";

describe("deriveSlug (the API's rule, shown before sending)", () => {
  it("lowercases and joins every run of other characters with one dash", () => {
    expect(deriveSlug("My Shop")).toBe("my-shop");
    expect(deriveSlug("  Ünïcode & Co.  v2 ")).toBe("n-code-co-v2");
    expect(deriveSlug("--a__b--")).toBe("a-b");
  });

  it("cuts at 40 characters without leaving a dash at the end, and is empty without a-z or 0-9", () => {
    const s = deriveSlug(`${"a".repeat(39)} tail`);
    expect(s).toBe("a".repeat(39));
    expect(deriveSlug("x".repeat(60))).toHaveLength(40);
    expect(deriveSlug("日本語")).toBe("");
  });

  it("makes only slugs slugProblem accepts, or the empty one it refuses", () => {
    for (const name of ["My Shop", "a", "-x-", "9 lives", "x".repeat(80), "!!!"]) {
      const slug = deriveSlug(name);
      expect(slugProblem(slug) === undefined, name).toBe(slug !== "");
    }
    expect(slugProblem("")).toMatch(/give a slug/);
    expect(slugProblem("-a")).toMatch(/not starting or ending/);
    expect(slugProblem("A")).toMatch(/only a-z/);
    expect(slugProblem("a".repeat(41))).toMatch(/40/);
  });
});
