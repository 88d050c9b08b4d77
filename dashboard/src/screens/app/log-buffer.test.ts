import { describe, expect, it } from "vitest";
import { appendLogLines, EMPTY_LOG_BUFFER, filterLogLines, linesSince, toLogEntry } from "./log-buffer";

const line = (text: string, stream: "stdout" | "stderr" = "stdout") => ({
  ts: "2026-01-01T00:00:00.000Z",
  stream,
  text,
});

describe("log buffer", () => {
  it("reads a log event, neutralising its text and defaulting unknown streams to stdout", () => {
    expect(toLogEntry({ ts: "t", stream: "stderr", line: "a\u001b[0m" })).toEqual({
      ts: "t",
      stream: "stderr",
      text: "a\\x1b[0m",
    });
    expect(toLogEntry({ ts: "t", stream: "weird", line: "x" })?.stream).toBe("stdout");
    expect(toLogEntry({ ts: "t" })).toBeNull();
    expect(toLogEntry("nope")).toBeNull();
    expect(toLogEntry(null)).toBeNull();
  });

  it("appends with ids in stream order and leaves the old buffer untouched", () => {
    const a = appendLogLines(EMPTY_LOG_BUFFER, [line("one"), line("two")]);
    const b = appendLogLines(a, [line("three")]);
    expect(b.lines.map((l) => [l.id, l.text])).toEqual([
      [0, "one"],
      [1, "two"],
      [2, "three"],
    ]);
    expect(a.lines).toHaveLength(2);
    expect(appendLogLines(b, [])).toBe(b);
    expect(linesSince(a, b)).toBe(1);
  });

  it("drops the oldest lines past the cap and counts them", () => {
    let buf = appendLogLines(EMPTY_LOG_BUFFER, [line("1"), line("2"), line("3")], 4);
    buf = appendLogLines(buf, [line("4"), line("5")], 4);
    expect(buf.lines.map((l) => l.text)).toEqual(["2", "3", "4", "5"]);
    expect([buf.received, buf.dropped]).toEqual([5, 1]);
    // A batch larger than the cap keeps only its own newest lines.
    buf = appendLogLines(
      buf,
      ["a", "b", "c", "d", "e", "f"].map((t) => line(t)),
      4,
    );
    expect(buf.lines.map((l) => l.text)).toEqual(["c", "d", "e", "f"]);
    expect(buf.lines.map((l) => l.id)).toEqual([7, 8, 9, 10]);
    expect([buf.received, buf.dropped]).toEqual([11, 7]);
  });

  it("filters by substring, ignoring case and surrounding blanks", () => {
    const buf = appendLogLines(EMPTY_LOG_BUFFER, [
      line("GET /health 200"),
      line("Error: boom", "stderr"),
      line("get /"),
    ]);
    expect(filterLogLines(buf.lines, "  get ").map((l) => l.text)).toEqual(["GET /health 200", "get /"]);
    expect(filterLogLines(buf.lines, "ERROR").map((l) => l.stream)).toEqual(["stderr"]);
    expect(filterLogLines(buf.lines, "")).toBe(buf.lines);
    expect(filterLogLines(buf.lines, "nothing")).toEqual([]);
  });
});
