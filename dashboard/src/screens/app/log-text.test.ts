import { describe, expect, it } from "vitest";
import { neutraliseControls } from "./log-text";

describe("neutraliseControls", () => {
  it("turns ANSI escape sequences into visible text", () => {
    const out = neutraliseControls("hello \u001b[31mred\u001b[0m");
    expect(out).toBe("hello \\x1b[31mred\\x1b[0m");
    expect(out).not.toContain("\u001b");
  });

  it("neutralises every C0 control except tab, and DEL and C1", () => {
    expect(neutraliseControls("a\tb")).toBe("a\tb");
    expect(neutraliseControls("\u0000\u0007\b\n\r\u001f")).toBe("\\x00\\x07\\x08\\x0a\\x0d\\x1f");
    expect(neutraliseControls("x\u007fy")).toBe("x\\x7fy");
    expect(neutraliseControls("\u0080\u009b2J\u009f")).toBe("\\x80\\x9b2J\\x9f");
  });

  it("neutralises the bidi overrides and isolates that reorder text", () => {
    const out = neutraliseControls("user\u202egnp.exe \u2066a\u2069 \u202a\u202b\u202c\u202d");
    expect(out).toBe("user\\u202egnp.exe \\u2066a\\u2069 \\u202a\\u202b\\u202c\\u202d");
    expect(out).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
  });

  it("keeps printable text, other Unicode and the neighbours of the neutralised ranges", () => {
    const kept = "plain ASCII ~ é ü 日本 🙂 \u00a0 \u2065 \u206a \u202f";
    expect(neutraliseControls(kept)).toBe(kept);
    expect(neutraliseControls("")).toBe("");
  });
});
