import { describe, expect, it } from "vitest";
import { BUILD_LOG_DROPPED_NOTE, keepTail, neutraliseControls, neutraliseLogText } from "./log-text";

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

describe("build log text", () => {
  it("neutralises control characters on every line and keeps the line breaks", () => {
    expect(neutraliseLogText("STEP 1\n\u001b[31mred\u001b[0m\r\nok\u202e")).toBe(
      "STEP 1\n\\x1b[31mred\\x1b[0m\\x0d\nok\\u202e",
    );
  });

  it("keeps the last part of a long log, from a line start, under a note", () => {
    const text = Array.from({ length: 100 }, (_, i) => `line ${i}`).join("\n");
    expect(keepTail(text, 10_000)).toBe(text);
    const kept = keepTail(text, 200);
    expect(kept.startsWith(BUILD_LOG_DROPPED_NOTE)).toBe(true);
    expect(kept.length).toBeLessThanOrEqual(200);
    expect(kept.endsWith("line 99")).toBe(true);
    expect(kept.slice(BUILD_LOG_DROPPED_NOTE.length)).toMatch(/^line \d+\n/);
  });
});
