/**
 * Log text made safe to show: every control character that could move the
 * cursor, recolour, erase or reorder what a reader sees becomes visible
 * escape text instead. Pure.
 */

/**
 * C0 controls except tab (U+0000–U+0008, U+000A–U+001F), DEL (U+007F), C1
 * (U+0080–U+009F), the bidi embeddings and overrides (U+202A–U+202E) and the
 * bidi isolates (U+2066–U+2069).
 */
const NEUTRALISED = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

function escapeText(ch: string): string {
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16)}`;
}

/**
 * `line` with each neutralised character replaced by its escape as text
 * (ESC → `\x1b`, U+202E → `\u202e`); everything else, tab included, is kept.
 * A backslash is kept as is: the result is for reading, not for parsing back.
 */
export function neutraliseControls(line: string): string {
  return line.replace(NEUTRALISED, escapeText);
}
