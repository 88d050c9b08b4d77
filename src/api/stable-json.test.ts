import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stableStringify } from "./stable-json.js";

describe("stableStringify", () => {
  it("sorts keys at every depth, in code-unit order", () => {
    expect(
      stableStringify({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null }, "10": true, "9": false, B: "x" }),
    ).toBe('{"10":true,"9":false,"B":"x","a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}');
  });

  it("escapes strings and keys as JSON.stringify does", () => {
    const value = { 'q"\n`': 'line\nbreak "quoted" \u2028 \u0000 é' };
    expect(stableStringify(value)).toBe(JSON.stringify(value));
  });

  it("follows JSON.stringify for undefined and non-finite numbers", () => {
    expect(stableStringify({ a: undefined, b: [undefined, Number.NaN, Infinity], c: -0 })).toBe(
      '{"b":[null,null,null],"c":0}',
    );
  });

  it('writes a parsed "__proto__" key like any other', () => {
    expect(stableStringify(JSON.parse('{"b":1,"__proto__":{"x":2}}'))).toBe('{"__proto__":{"x":2},"b":1}');
  });

  it("refuses what is not plain JSON data", () => {
    expect(() => stableStringify({ when: new Date(0) })).toThrow(TypeError);
    expect(() => stableStringify(1n)).toThrow(TypeError);
    expect(() => stableStringify({ f: () => 1 })).toThrow(TypeError);
  });

  it("round-trips JSON values and ignores key insertion order", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = stableStringify(value);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
        expect(stableStringify(JSON.parse(text))).toBe(text);
        expect(stableStringify(reverseKeys(value))).toBe(text);
      }),
    );
  });
});

/** The same data with every object's keys inserted in reverse order. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    // defineProperty: a plain assignment to "__proto__" would set the prototype.
    for (const key of Object.keys(value).reverse())
      Object.defineProperty(out, key, {
        value: reverseKeys((value as Record<string, unknown>)[key]),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return out;
  }
  return value;
}
