import { describe, expect, it } from "vitest";
import { httpUrl } from "./safe-url";

describe("httpUrl", () => {
  it("keeps absolute http(s) URLs", () => {
    expect(httpUrl("https://shop.apps.example.com")).toBe("https://shop.apps.example.com/");
    expect(httpUrl("http://127.0.0.1:8080/x?y=1")).toBe("http://127.0.0.1:8080/x?y=1");
  });

  it("refuses every other scheme, relative paths and nothing", () => {
    for (const bad of [
      "javascript:alert(1)",
      " JavaScript:alert(1)",
      "data:text/html,<b>x</b>",
      "vbscript:x",
      "file:///etc/passwd",
      "/relative",
      "//evil.example",
      "",
      null,
      undefined,
    ]) {
      expect(httpUrl(bad), String(bad)).toBeUndefined();
    }
  });
});
