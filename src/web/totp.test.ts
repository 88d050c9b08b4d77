import { Secret } from "otpauth";
import { describe, expect, it } from "vitest";
import { matchTotpStep, newTotpSecret, totpCode, totpUri } from "./totp.js";

/** RFC 6238 appendix B, SHA-1: the seed "12345678901234567890" (ASCII). */
const RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

describe("totp", () => {
  it("encodes the RFC seed as the expected base32", () => {
    expect(Secret.fromUTF8("12345678901234567890").base32).toBe(RFC_SECRET);
  });

  it.each([
    [59, "287082"],
    [1111111109, "081804"],
    [1111111111, "050471"],
    [1234567890, "005924"],
    [2000000000, "279037"],
  ])("matches the RFC 6238 SHA-1 vector at T=%i s (last 6 of 8 digits)", (t, code) => {
    expect(totpCode(RFC_SECRET, t * 1000)).toBe(code);
    expect(matchTotpStep(RFC_SECRET, code, t * 1000)).toBe(Math.floor(t / 30));
  });

  it("accepts the code one step early or late, not two", () => {
    const at = 59_000; // step 1
    expect(matchTotpStep(RFC_SECRET, "287082", at - 30_000)).toBe(1);
    expect(matchTotpStep(RFC_SECRET, "287082", at + 30_000)).toBe(1);
    expect(matchTotpStep(RFC_SECRET, "287082", at + 60_000)).toBeNull();
    expect(matchTotpStep(RFC_SECRET, "287082", at + 90_000)).toBeNull();
  });

  it("refuses a wrong code and anything that is not six digits", () => {
    expect(matchTotpStep(RFC_SECRET, "287083", 59_000)).toBeNull();
    for (const bad of ["", "28708", "2870820", "94287082", "28708a", " 287082", "287 082", "+87082"]) {
      expect(matchTotpStep(RFC_SECRET, bad, 59_000)).toBeNull();
    }
  });

  it("makes fresh 160-bit secrets and an otpauth URL with the parameters", () => {
    const a = newTotpSecret();
    expect(a).toMatch(/^[A-Z2-7]{32}$/);
    expect(newTotpSecret()).not.toBe(a);
    const url = new URL(totpUri(a, "me@example.com"));
    expect(url.protocol).toBe("otpauth:");
    expect(url.searchParams.get("secret")).toBe(a);
    expect(url.searchParams.get("issuer")).toBe("wisehosting");
    expect(url.searchParams.get("digits")).toBe("6");
    expect(url.searchParams.get("period")).toBe("30");
    expect(url.searchParams.get("algorithm")).toBe("SHA1");
    expect(decodeURIComponent(url.pathname)).toContain("me@example.com");
  });
});
