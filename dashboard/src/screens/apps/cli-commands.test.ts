import { describe, expect, it } from "vitest";
import { deployCommand } from "./cli-commands";

describe("deployCommand", () => {
  it("names the app's slug, and quotes whatever half-typed text the slug field holds", () => {
    expect(deployCommand("shop-front")).toBe("wisehosting deploy ./my-app --app shop-front");
    expect(deployCommand("")).toBe("wisehosting deploy ./my-app --app SLUG");
    expect(deployCommand("a; rm -rf ~")).toBe("wisehosting deploy ./my-app --app 'a; rm -rf ~'");
    expect(deployCommand("it's")).toBe("wisehosting deploy ./my-app --app 'it'\\''s'");
  });
});
