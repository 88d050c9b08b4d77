import fc from "fast-check";
import { describe, expect, it } from "vitest";

import {
  MAX_BUILD_LOG_BYTES,
  MAX_LOG_LINE_BYTES,
  TRUNCATION_MARKER,
  capLine,
  capLogs,
  stripANSI,
  stripANSIMultiline,
} from "./log-sanitize.js";

const bytes = (s: string) => Buffer.byteLength(s, "utf8");
const decoder = new TextDecoder("utf-8", { fatal: true });
/** True when the string has no lone surrogate (so its UTF-8 encoding is lossless). */
const wellFormed = (s: string) =>
  !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

/** Text that mixes ASCII, 2-, 3- and 4-byte characters. */
const mixedText = fc.string({
  unit: fc.constantFrom("a", "b", " ", "é", "ß", "€", "日", "😀", "𝄞"),
  maxLength: 400,
});

describe("stripANSI", () => {
  it("removes SGR colour codes", () => {
    expect(stripANSI("\x1b[31mred\x1b[0m \x1b[1;38;5;208mbold orange\x1b[m")).toBe("red bold orange");
    expect(stripANSI("\x1b[38;2;255;0;0mtruecolor\x1b[39m")).toBe("truecolor");
  });

  it("removes cursor movement and screen control", () => {
    expect(stripANSI("a\x1b[2Jb\x1b[H\x1b[10;20Hc\x1b[3Ad\x1b[?25le\x1b[Kf")).toBe("abcdef");
    expect(stripANSI("save\x1b7restore\x1b8reset\x1bc")).toBe("saverestorereset");
    expect(stripANSI("\x1b(Bcharset\x1b)0")).toBe("charset");
  });

  it("removes OSC title sets and hyperlinks, BEL- or ST-terminated", () => {
    expect(stripANSI("\x1b]0;title\x07after")).toBe("after");
    expect(stripANSI("\x1b]2;pwned\x1b\\after")).toBe("after");
    expect(stripANSI("\x1b]8;;https://evil.example\x07link\x1b]8;;\x07")).toBe("link");
    expect(stripANSI("\x1bPq#0;2;0;0;0\x1b\\x")).toBe("x"); // DCS (sixel)
  });

  it("removes 8-bit C1 sequences and stray C1 controls", () => {
    expect(stripANSI("\u009b31mred\u009b0m")).toBe("red");
    expect(stripANSI("\u009d0;title\u009cok")).toBe("ok");
    expect(stripANSI("a\u0085b\u008dc")).toBe("abc");
  });

  it("removes NUL, CR, LF, backspace, DEL and a lone ESC, keeping TAB", () => {
    expect(stripANSI("a\0b\0\0c")).toBe("abc");
    expect(stripANSI("progress 10%\rprogress 100%\n")).toBe("progress 10%progress 100%");
    expect(stripANSI("x\by\x7fz\x1b")).toBe("xyz");
    expect(stripANSI("key\tvalue")).toBe("key\tvalue");
  });

  it("leaves an unterminated OSC as harmless text", () => {
    expect(stripANSI("\x1b]0;never closed")).toBe("0;never closed");
  });

  it("leaves plain text, including any printable Unicode, untouched (property)", () => {
    expect(stripANSI("héllo wörld 日本語 😀 — [31m not an escape")).toBe(
      "héllo wörld 日本語 😀 — [31m not an escape",
    );
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 200 }), (s) => {
        // fast-check graphemes may include control characters; drop them to get "plain text".
        const plain = s.replace(/[\x00-\x08\x0a-\x1f\x7f-\x9f]/g, ""); // eslint-disable-line no-control-regex
        expect(stripANSI(plain)).toBe(plain);
      }),
    );
  });

  it("never outputs ESC, NUL, CR, LF or C1, whatever the input (property)", () => {
    const nasty = fc.string({
      unit: fc.constantFrom(
        "\x1b",
        "[",
        "]",
        "\\",
        "\x07",
        "\0",
        "\r",
        "\n",
        "\u009b",
        "\u009c",
        "0",
        ";",
        "m",
        "a",
        "日",
      ),
      maxLength: 300,
    });
    fc.assert(
      fc.property(fc.oneof(nasty, fc.string({ unit: "binary", maxLength: 300 })), (s) => {
        const out = stripANSI(s);
        expect(out).not.toMatch(/[\x00-\x08\x0a-\x1f\x7f-\x9f]/); // eslint-disable-line no-control-regex
        expect(stripANSI(out)).toBe(out); // idempotent
      }),
    );
  });

  it("stays linear on adversarial input", () => {
    // Unterminated control strings and CSIs: each introducer is removed as a two-char escape.
    const evil = "\u009d".repeat(200_000) + "\x1b]0;".repeat(200_000) + "\x1b[1".repeat(200_000);
    const start = performance.now();
    expect(stripANSI(evil)).toBe("0;".repeat(200_000) + "1".repeat(200_000));
    // Tens of milliseconds when linear; a quadratic pass over 1.2 M characters takes minutes.
    expect(performance.now() - start).toBeLessThan(10_000);
  });
});

describe("stripANSIMultiline", () => {
  it("keeps LF but strips everything stripANSI strips otherwise", () => {
    expect(stripANSIMultiline("step 1\r\n\x1b[32mok\x1b[0m\n\x1b]0;t\x07done\0")).toBe("step 1\nok\ndone");
  });
});

describe("capLine", () => {
  it("defaults to 8 KiB", () => {
    expect(MAX_LOG_LINE_BYTES).toBe(8192);
    expect(capLine("x".repeat(10_000))).toBe("x".repeat(8192));
    const short = "y".repeat(8192);
    expect(capLine(short)).toBe(short);
  });

  it("never splits a multi-byte character", () => {
    expect(capLine("aé", 2)).toBe("a"); // é is 2 bytes
    expect(capLine("aé", 3)).toBe("aé");
    expect(capLine("€€", 5)).toBe("€"); // € is 3 bytes
    expect(capLine("😀x", 3)).toBe(""); // 😀 is 4 bytes, a surrogate pair in UTF-16
    expect(capLine("😀x", 4)).toBe("😀");
    expect(capLine("😀x", 5)).toBe("😀x");
    expect(capLine("anything", 0)).toBe("");
  });

  it("counts a lone surrogate as the 3 bytes Node writes for it", () => {
    expect(capLine("\ud800ab", 4)).toBe("\ud800a");
    expect(bytes("\ud800a")).toBe(4);
  });

  it("returns the longest prefix within max bytes that is whole UTF-8 (property)", () => {
    fc.assert(
      fc.property(mixedText, fc.integer({ min: 0, max: 1200 }), (s, max) => {
        const out = capLine(s, max);
        expect(s.startsWith(out)).toBe(true);
        expect(bytes(out)).toBeLessThanOrEqual(max);
        expect(wellFormed(out)).toBe(true);
        // Its bytes are a byte prefix of the input's and decode strictly.
        const outBytes = Buffer.from(out, "utf8");
        expect(Buffer.from(s, "utf8").subarray(0, outBytes.length).equals(outBytes)).toBe(true);
        expect(decoder.decode(outBytes)).toBe(out);
        // Longest: the next character would not have fitted.
        if (out.length < s.length) {
          const next = String.fromCodePoint(s.codePointAt(out.length)!);
          expect(bytes(out) + bytes(next)).toBeGreaterThan(max);
        } else {
          expect(out).toBe(s);
        }
      }),
    );
  });

  it("rejects a negative or fractional limit", () => {
    expect(() => capLine("x", -1)).toThrow(RangeError);
    expect(() => capLine("x", 1.5)).toThrow(RangeError);
  });
});

describe("capLogs", () => {
  it("returns text within the cap unchanged", () => {
    expect(capLogs("short", 5)).toBe("short");
    expect(MAX_BUILD_LOG_BYTES).toBe(1024 * 1024);
  });

  it("keeps the first and last max/2 bytes around the exact marker", () => {
    expect(TRUNCATION_MARKER).toBe("\n...[truncated]...\n");
    const log = "HEAD-error at line 1\n" + "x".repeat(1000) + "\nTAIL-exit 1";
    const out = capLogs(log, 40);
    expect(out).toBe("HEAD-error at line 1" + "\n...[truncated]...\n" + "xxxxxxxx\nTAIL-exit 1");
    expect(bytes(out)).toBe(40 + bytes(TRUNCATION_MARKER));
  });

  it("does not split characters at either cut", () => {
    // 10 × "€" (30 bytes); max 10 → at most 5 bytes each side → one € each.
    expect(capLogs("€".repeat(10), 10)).toBe("€" + TRUNCATION_MARKER + "€");
    // 😀 is 4 bytes; max 17 → at most 8 bytes each side → two each.
    expect(capLogs("😀".repeat(10), 17)).toBe("😀😀" + TRUNCATION_MARKER + "😀😀");
  });

  it("keeps a whole-character head and tail within max/2 bytes each (property)", () => {
    fc.assert(
      fc.property(mixedText, fc.integer({ min: 0, max: 1200 }), (s, max) => {
        const out = capLogs(s, max);
        if (bytes(s) <= max) {
          expect(out).toBe(s);
          return;
        }
        const at = out.indexOf(TRUNCATION_MARKER);
        expect(at).toBeGreaterThanOrEqual(0);
        const head = out.slice(0, at);
        const tail = out.slice(at + TRUNCATION_MARKER.length);
        expect(s.startsWith(head)).toBe(true);
        expect(s.endsWith(tail)).toBe(true);
        expect(bytes(head)).toBeLessThanOrEqual(Math.floor(max / 2));
        expect(bytes(tail)).toBeLessThanOrEqual(Math.floor(max / 2));
        expect(wellFormed(head) && wellFormed(tail)).toBe(true);
        expect(bytes(out)).toBeLessThanOrEqual(max + bytes(TRUNCATION_MARKER));
        // Longest: one more character on either side would not have fitted (each is ≤ 4 bytes).
        expect(bytes(head)).toBeGreaterThan(Math.floor(max / 2) - 4);
        expect(bytes(tail)).toBeGreaterThan(Math.floor(max / 2) - 4);
      }),
    );
  });

  it("caps a 3 MiB build log to the 1 MiB limit", () => {
    const log = "start\n" + "line of output\n".repeat(220_000) + "end";
    const out = capLogs(log, MAX_BUILD_LOG_BYTES);
    expect(bytes(out)).toBeLessThanOrEqual(MAX_BUILD_LOG_BYTES + bytes(TRUNCATION_MARKER));
    expect(out.startsWith("start\n")).toBe(true);
    expect(out.endsWith("output\nend")).toBe(true);
  });
});
