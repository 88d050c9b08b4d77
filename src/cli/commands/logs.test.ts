/* eslint-disable no-control-regex -- these tests look for control characters on purpose */
import { describe, expect, it } from "vitest";
import { formatLogJson, formatLogLine } from "./logs.js";

/** Lines an app could print to take over the terminal of whoever reads its logs. */
const HOSTILE = [
  "\x1b]0;you have been pwned\x07title set",
  "\x1b]2;title\x1b\\st-terminated",
  "\x1b[2J\x1b[Hcleared screen",
  "\x1b[10Acursor up\x1b[5;5H",
  "\x9b31m8-bit CSI\x9d0;c1 title\x9c",
  "carriage\rreturn overwrites",
  "back\b\b\bspace",
  "new\nline injected",
  "\x1bPq#0;2;0;0;0sixel\x1b\\DCS",
  "\x1b]8;;http://evil.example\x07link\x1b]8;;\x07",
  "nul\0bell\x07del\x7f",
  "\x1b",
  "\x1b[",
  "\x1b]0;unterminated title",
];

describe("formatLogLine", () => {
  it.each(HOSTILE)("prints one line with no escape or control characters: %j", (line) => {
    const out = formatLogLine({ ts: 0, stream: "stdout", line });
    expect(out.endsWith("\n")).toBe(true);
    const body = out.slice(0, -1);
    expect(body).not.toMatch(/[\x00-\x08\x0a-\x1f\x7f-\x9f]/);
  });

  it("keeps the text and tabs, prefixes the UTC time and marks stderr", () => {
    expect(formatLogLine({ ts: Date.UTC(2025, 0, 1, 12, 34, 56), stream: "stdout", line: "a\tb ✓" })).toBe(
      "12:34:56   a\tb ✓\n",
    );
    expect(formatLogLine({ ts: 0, stream: "stderr", line: "\x1b[31merror\x1b[0m" })).toBe(
      "00:00:00 ! error\n",
    );
    expect(formatLogLine({ line: "no time" })).toBe("           no time\n");
  });
});

describe("formatLogJson", () => {
  it("sanitises the line too (JSON.stringify leaves C1 controls raw)", () => {
    for (const line of HOSTILE) {
      const out = formatLogJson({ ts: 1, stream: "stdout", line });
      expect(out).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
      expect(out.split("\n")).toHaveLength(2);
      expect(typeof JSON.parse(out).line).toBe("string");
    }
  });
});
