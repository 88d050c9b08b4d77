import { beforeEach, describe, expect, it } from "vitest";
import { forgetSetup, rememberSetup, unfinishedSetup } from "./totp-setup-memory";

describe("two-factor set-up memory", () => {
  beforeEach(() => sessionStorage.clear());
  const now = new Date("2030-01-01T12:00:00Z");

  it("says a set-up was left unfinished, and whether it has expired", () => {
    expect(unfinishedSetup(7, now)).toBeUndefined();
    rememberSetup(7, "2030-01-01T12:05:00Z");
    expect(unfinishedSetup(7, now)).toEqual({ expired: false });
    expect(unfinishedSetup(7, new Date("2030-01-01T12:05:00Z"))).toEqual({ expired: true });
    expect(unfinishedSetup(8, now)).toBeUndefined();
    forgetSetup(7);
    expect(unfinishedSetup(7, now)).toBeUndefined();
  });

  it("never stores the secret", () => {
    rememberSetup(7, "2030-01-01T12:05:00Z");
    expect(Object.values({ ...sessionStorage })).toEqual(["2030-01-01T12:05:00Z"]);
  });
});
