import { describe, expect, it } from "vitest";
import { eventJson, readEvents, SseParser, type SseEvent } from "./sse-client.js";

const STREAM =
  ": stream open\n\n" +
  'event: log\ndata: {"text":"step 1\\n"}\n\n' +
  ": keepalive\n\n" +
  "event: log\r\ndata: first\r\ndata: second\r\n\r\n" +
  "data:no space\rid: 7\r\r" +
  'event: end\ndata: {"status":"running","error":null}\n\n';

const EXPECTED: SseEvent[] = [
  { event: "log", data: '{"text":"step 1\\n"}', id: undefined },
  { event: "log", data: "first\nsecond", id: undefined },
  { event: "message", data: "no space", id: "7" },
  { event: "end", data: '{"status":"running","error":null}', id: "7" },
];

function parseInChunks(text: string, cuts: number[]): SseEvent[] {
  const p = new SseParser();
  const out: SseEvent[] = [];
  let last = 0;
  for (const c of [...cuts, text.length]) {
    out.push(...p.push(text.slice(last, c)));
    last = c;
  }
  return out;
}

describe("SseParser", () => {
  it("parses events, comments, multi-line data and every line ending", () => {
    expect(parseInChunks(STREAM, [])).toEqual(EXPECTED);
  });

  it("gives the same events however the text is split, including between CR and LF", () => {
    for (let i = 1; i < STREAM.length; i++) {
      expect(parseInChunks(STREAM, [i])).toEqual(EXPECTED);
    }
    // One character at a time.
    expect(
      parseInChunks(
        STREAM,
        Array.from({ length: STREAM.length - 1 }, (_, i) => i + 1),
      ),
    ).toEqual(EXPECTED);
  });

  it("does not dispatch an event before its blank line, nor one without data", () => {
    const p = new SseParser();
    expect(p.push("event: end\ndata: x\n")).toEqual([]);
    expect(p.push("\n")).toEqual([{ event: "end", data: "x", id: undefined }]);
    expect(p.push("event: nothing\n\n")).toEqual([]);
    expect(p.push("data: cut off at the end")).toEqual([]);
    expect(p.end()).toEqual([]);
  });
});

describe("readEvents", () => {
  it("decodes UTF-8 split across chunks", async () => {
    const bytes = new TextEncoder().encode('event: log\ndata: {"line":"héllo ✓ 😀"}\n\n');
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (const b of bytes) c.enqueue(new Uint8Array([b]));
        c.close();
      },
    });
    const events: SseEvent[] = [];
    for await (const ev of readEvents(stream)) events.push(ev);
    expect(events).toHaveLength(1);
    expect(eventJson<{ line: string }>(events[0]!)).toEqual({ line: "héllo ✓ 😀" });
  });

  it("returns null for data that is not JSON", () => {
    expect(eventJson({ event: "log", data: "not json", id: undefined })).toBeNull();
  });
});
