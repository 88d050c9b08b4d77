/** A runtime log line is cut to this many UTF-8 bytes (worker protocol §3, "Keep-alive and limits"). */
export const MAX_LOG_LINE_BYTES = 8192;
/** A deployment's stored build log is capped to this many UTF-8 bytes (plus {@link TRUNCATION_MARKER}). */
export const MAX_BUILD_LOG_BYTES = 1024 * 1024;
/** What {@link capLogs} puts between the head and the tail it keeps: exactly `"\n...[truncated]...\n"`. */
export const TRUNCATION_MARKER = "\n...[truncated]...\n";

/*
 * The escape sequences removed, tried in this order at each position:
 * 1. control strings: ESC P (DCS), ESC X (SOS), ESC ] (OSC), ESC ^ (PM),
 *    ESC _ (APC) or their 8-bit forms, up to and including BEL, ESC \ or the
 *    8-bit ST. The body excludes ESC and C1, so an unterminated string is not
 *    matched here (its introducer goes in step 3 or 4 and its text stays as
 *    harmless text) and the scan stays linear in the input.
 * 2. CSI: ESC [ or 8-bit CSI, parameter bytes 0x30–0x3f, intermediate bytes
 *    0x20–0x2f, one final byte 0x40–0x7e (colours, cursor moves, clears).
 * 3. Any other escape: ESC, intermediates 0x20–0x2f, a final 0x30–0x7e
 *    (ESC 7, ESC c, ESC ( B ...).
 * 4. Whatever control characters remain, one at a time: C0 (NUL, CR, BS, a
 *    lone ESC ...), DEL and C1 (U+0080–U+009F). The line variant also removes
 *    LF; only TAB is kept.
 * Step 4 is why the output never holds ESC, NUL or a C1 control, whatever the
 * input: a sequence that is malformed still loses its control characters.
 */
const STRING_SEQ = String.raw`(?:\x1b[P\]X^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x80-\x9f]*(?:\x07|\x1b\\|\x9c)`;
const CSI_SEQ = String.raw`(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]`;
const OTHER_ESC_SEQ = String.raw`\x1b[\x20-\x2f]*[\x30-\x7e]`;
const LINE_CONTROLS = String.raw`[\x00-\x08\x0a-\x1f\x7f-\x9f]`;
const TEXT_CONTROLS = String.raw`[\x00-\x08\x0b-\x1f\x7f-\x9f]`;

const LINE_RE = new RegExp(`${STRING_SEQ}|${CSI_SEQ}|${OTHER_ESC_SEQ}|${LINE_CONTROLS}`, "g");
const TEXT_RE = new RegExp(`${STRING_SEQ}|${CSI_SEQ}|${OTHER_ESC_SEQ}|${TEXT_CONTROLS}`, "g");

/**
 * Makes one log line safe to store and display: removes ANSI/VT escape
 * sequences (colours, cursor movement, title setting, 8-bit C1 forms), NUL
 * and every other control character except TAB (so CR and LF go too). The
 * result never contains ESC, NUL or U+0080–U+009F; printable text, including
 * any Unicode, is left as it was.
 */
export function stripANSI(s: string): string {
  return s.replace(LINE_RE, "");
}

/**
 * {@link stripANSI} for multi-line text (build logs, job result logs): the
 * same, except that LF is kept, so lines stay lines (CR is still removed, so
 * CRLF becomes LF).
 */
export function stripANSIMultiline(s: string): string {
  return s.replace(TEXT_RE, "");
}

/**
 * The longest prefix of `s` whose UTF-8 encoding is at most `maxBytes` bytes,
 * never ending inside a character (a surrogate pair is kept whole or
 * dropped whole). Returns `s` itself when it already fits. A lone surrogate
 * counts 3 bytes, as Node encodes it (U+FFFD).
 */
export function capLine(s: string, maxBytes = MAX_LOG_LINE_BYTES): string {
  checkLimit(maxBytes);
  if (fits(s, maxBytes)) return s;
  return s.slice(0, prefixEnd(s, maxBytes));
}

/**
 * Caps text that must keep both its start (often the first error) and its end
 * (how the run finished). When `s` is over `max` UTF-8 bytes, returns the
 * longest prefix of at most ⌊max/2⌋ bytes, then {@link TRUNCATION_MARKER},
 * then the longest suffix of at most ⌊max/2⌋ bytes, neither splitting a
 * character; so the result is at most `max` bytes plus the marker's 19.
 * Otherwise returns `s` unchanged.
 */
export function capLogs(s: string, max: number): string {
  checkLimit(max);
  if (fits(s, max)) return s;
  const half = Math.floor(max / 2);
  return s.slice(0, prefixEnd(s, half)) + TRUNCATION_MARKER + s.slice(suffixStart(s, half));
}

function checkLimit(max: number): void {
  if (!Number.isSafeInteger(max) || max < 0)
    throw new RangeError(`byte limit must be an integer ≥ 0, got ${max}`);
}

function fits(s: string, maxBytes: number): boolean {
  // A UTF-16 code unit never takes more than 3 UTF-8 bytes.
  return s.length * 3 <= maxBytes || Buffer.byteLength(s, "utf8") <= maxBytes;
}

function isHigh(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** UTF-8 width of a single code unit that is not half of a surrogate pair. */
function unitBytes(c: number): number {
  return c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
}

/** End index of the longest prefix of at most `maxBytes` UTF-8 bytes. */
function prefixEnd(s: string, maxBytes: number): number {
  let bytes = 0;
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    const pair = isHigh(c) && i + 1 < s.length && isLow(s.charCodeAt(i + 1));
    const width = pair ? 4 : unitBytes(c);
    if (bytes + width > maxBytes) break;
    bytes += width;
    i += pair ? 2 : 1;
  }
  return i;
}

/** Start index of the longest suffix of at most `maxBytes` UTF-8 bytes. */
function suffixStart(s: string, maxBytes: number): number {
  let bytes = 0;
  let j = s.length;
  while (j > 0) {
    const c = s.charCodeAt(j - 1);
    const pair = isLow(c) && j >= 2 && isHigh(s.charCodeAt(j - 2));
    const width = pair ? 4 : unitBytes(c);
    if (bytes + width > maxBytes) break;
    bytes += width;
    j -= pair ? 2 : 1;
  }
  return j;
}
