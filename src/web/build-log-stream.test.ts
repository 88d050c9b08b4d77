import { describe, expect, it } from "vitest";
import { capLogs } from "../api/log-sanitize.js";
import { BuildLogCursor, LOG_RESUMED_MARKER } from "./build-log-stream.js";

const cap = (s: string) => capLogs(s, 4000);
const lines = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `line ${from + i} of the build\n`).join("");

describe("BuildLogCursor", () => {
  it("sends only what was appended", () => {
    const c = new BuildLogCursor();
    expect(c.next("a\n")).toBe("a\n");
    expect(c.next("a\n")).toBe("");
    expect(c.next("a\nb\n")).toBe("b\n");
  });

  it("resumes after the text already sent when the capped log still holds it", () => {
    const c = new BuildLogCursor();
    let log = cap(lines(0, 150));
    c.next(log);
    log = cap(log + lines(150, 160));
    expect(c.next(log)).toBe(lines(150, 160));
  });

  it("sends a marker and the kept tail when the text sent was capped away", () => {
    const c = new BuildLogCursor();
    let log = cap(lines(0, 150));
    c.next(log);
    log = cap(log + lines(150, 400));
    const out = c.next(log);
    expect(out.startsWith(LOG_RESUMED_MARKER)).toBe(true);
    expect(out.endsWith(lines(399, 400))).toBe(true);
    expect(out).not.toContain("line 0 ");
  });

  it("keeps going from the head when the reader had not passed it", () => {
    const c = new BuildLogCursor();
    const head = lines(0, 10);
    c.next(head);
    const log = cap(head + lines(10, 500));
    expect(head + c.next(log)).toBe(log);
  });
});
