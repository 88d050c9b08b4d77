import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HOSTILE_HOSTNAMES } from "../../test/helpers/hostile-hostnames.js";
import { InvalidRequestError } from "../errors.js";
import { isWithinDomain, normalizeHostname, validateHostname } from "./hostname.js";

const label63 = "a".repeat(63);
/** 253 characters: four labels of 63 and one of 1, joined by dots. */
const longest = [label63, label63, label63, "b".repeat(61)].join(".");

describe("validateHostname", () => {
  it.each([
    ["example.com", "example.com"],
    ["WWW.Example.ORG", "www.example.org"],
    ["example.com.", "example.com"],
    ["xn--bcher-kva.example", "xn--bcher-kva.example"],
    ["1-2.example.com", "1-2.example.com"],
    ["a.b", "a.b"],
    [`${label63}.com`, `${label63}.com`],
    [longest, longest],
  ])("accepts %j as %j", (input, expected) => {
    expect(validateHostname(input)).toEqual({ ok: true, hostname: expected });
    expect(normalizeHostname(input)).toBe(expected);
  });

  it.each(HOSTILE_HOSTNAMES)("refuses %s", (_what, input) => {
    const check = validateHostname(input);
    expect(check.ok).toBe(false);
  });

  it("refuses 254 characters without a trailing dot", () => {
    expect(validateHostname(`${longest}c`).ok).toBe(false);
    expect(validateHostname(`${longest}.`)).toEqual({ ok: true, hostname: longest });
  });

  it("takes one label only when told to", () => {
    expect(validateHostname("localhost").ok).toBe(false);
    expect(validateHostname("localhost", { minLabels: 1 })).toEqual({ ok: true, hostname: "localhost" });
  });

  it("never echoes the input in its reason", () => {
    const check = validateHostname("evil`\n.example.com");
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.reason).not.toMatch(/evil|`|\n/);
  });

  it("accepts only [a-z0-9.-], lowercase, and is idempotent", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.domain(), fc.string({ unit: "grapheme-ascii" })), (input) => {
        const check = validateHostname(input);
        if (!check.ok) return;
        expect(check.hostname).toMatch(/^[a-z0-9.-]{1,253}$/);
        expect(validateHostname(check.hostname)).toEqual(check);
      }),
    );
  });

  it("accepts what fast-check calls a domain, lowercased", () => {
    fc.assert(
      fc.property(fc.domain(), (d) => {
        const check = validateHostname(d);
        if (!/\.[0-9]+$/.test(d)) expect(check).toEqual({ ok: true, hostname: d.toLowerCase() });
      }),
    );
  });
});

describe("normalizeHostname", () => {
  it("throws a coded invalid_request naming the hostname field", () => {
    let caught: unknown;
    try {
      normalizeHostname("bad`host.com");
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidRequestError);
    expect(caught).toMatchObject({ code: "invalid_request", field: "hostname" });
  });
});

describe("isWithinDomain", () => {
  it("matches the domain itself and names under it, not look-alikes", () => {
    expect(isWithinDomain("apps.example.com", "apps.example.com")).toBe(true);
    expect(isWithinDomain("blog.apps.example.com", "apps.example.com")).toBe(true);
    expect(isWithinDomain("evilapps.example.com", "apps.example.com")).toBe(false);
    expect(isWithinDomain("example.com", "apps.example.com")).toBe(false);
  });
});
