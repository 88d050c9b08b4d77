/**
 * Log text made safe to show: every control character that could move the
 * cursor, recolour, erase or reorder what a reader sees becomes visible
 * escape text instead. Pure.
 */

/**
 * True for C0 controls except tab (U+0000–U+0008, U+000A–U+001F), DEL
 * (U+007F), C1 (U+0080–U+009F), the bidi embeddings and overrides
 * (U+202A–U+202E) and the bidi isolates (U+2066–U+2069).
 */
export function isNeutralised(code: number): boolean {
  return (
    (code <= 0x1f && code !== 0x09) ||
    (code >= 0x7f && code <= 0x9f) ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

function escapeText(code: number): string {
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16)}`;
}

/**
 * `line` with each neutralised character replaced by its escape as text
 * (ESC → `\x1b`, U+202E → `\u202e`); everything else, tab included, is kept.
 * A backslash is kept as is: the result is for reading, not for parsing back.
 */
export function neutraliseControls(line: string): string {
  let out = "";
  let kept = 0;
  for (let i = 0; i < line.length; i++) {
    const code = line.charCodeAt(i);
    if (!isNeutralised(code)) continue;
    out += line.slice(kept, i) + escapeText(code);
    kept = i + 1;
  }
  return kept === 0 ? line : out + line.slice(kept);
}

/** Multi-line text (a build log): each line neutralised, the line breaks kept. */
export function neutraliseLogText(text: string): string {
  return text.split("\n").map(neutraliseControls).join("\n");
}

/** What a build log view keeps: its last 1 MiB of characters (a long build cannot exhaust the tab). */
export const BUILD_LOG_MAX_CHARS = 1024 * 1024;
export const BUILD_LOG_DROPPED_NOTE = "[earlier output not shown: the view keeps the last 1 MiB]\n";

/** `text` cut to its last `max` characters, from a line start, under a note saying so. */
export function keepTail(text: string, max = BUILD_LOG_MAX_CHARS): string {
  if (text.length <= max) return text;
  const cut = text.length - max + BUILD_LOG_DROPPED_NOTE.length;
  const lineStart = text.indexOf("\n", cut);
  const from = lineStart === -1 || lineStart - cut > 4096 ? cut : lineStart + 1;
  return BUILD_LOG_DROPPED_NOTE + text.slice(from);
}
