import { stripANSI } from "../api/log-sanitize.js";
import type { CliIO } from "./context.js";

/**
 * Human output: aligned tables and small formatters. Every cell passes
 * through the terminal sanitiser first, so text from the server (names,
 * messages, URLs) cannot carry escape sequences to the terminal, and column
 * widths are computed on what is printed. `--json` bypasses all of this and
 * prints the API's body as it came.
 */

export type Cell = string | number | boolean | null | undefined;

export interface Column<T> {
  header: string;
  value: (row: T) => Cell;
  /** Right-align (numbers). */
  right?: boolean;
}

/** Printed width of a string: code points, with wide East Asian and emoji characters counted twice. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp >= 0x300 && cp <= 0x36f) continue; // combining marks
    w += isWide(cp) ? 2 : 1;
  }
  return w;
}

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

export function cellText(c: Cell): string {
  if (c === null || c === undefined || c === "") return "-";
  if (typeof c === "boolean") return c ? "yes" : "no";
  return stripANSI(String(c));
}

/**
 * Rows under a header, columns separated by two spaces, each as wide as its
 * widest cell; no trailing spaces. Empty `rows` gives the header alone.
 */
export function renderTable<T>(columns: Column<T>[], rows: readonly T[]): string {
  const cells = rows.map((r) => columns.map((c) => cellText(c.value(r))));
  const widths = columns.map((c, i) =>
    Math.max(displayWidth(c.header), ...cells.map((row) => displayWidth(row[i] ?? ""))),
  );
  const line = (parts: string[]): string =>
    parts
      .map((p, i) => {
        const pad = " ".repeat(Math.max(0, (widths[i] ?? 0) - displayWidth(p)));
        return columns[i]?.right ? pad + p : p + pad;
      })
      .join("  ")
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].map((l) => `${l}\n`).join("");
}

/**
 * Prints a listing: the API body as JSON with `--json`, else the table (or
 * `empty` when there are no rows, so a human is told what to do next).
 */
export function printList<T>(
  io: CliIO,
  json: boolean | undefined,
  body: unknown,
  columns: Column<T>[],
  rows: readonly T[],
  empty: string,
): void {
  if (json) {
    io.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  } else if (rows.length === 0) {
    io.stderr.write(`${empty}\n`);
  } else {
    io.stdout.write(renderTable(columns, rows));
  }
}

/** `key: value` lines with the keys aligned. */
export function renderFields(fields: [string, Cell][]): string {
  const w = Math.max(...fields.map(([k]) => k.length));
  return fields.map(([k, v]) => `${`${k}:`.padEnd(w + 2)}${cellText(v)}\n`).join("");
}

/** Bytes as "512 B", "1.5 KB", "3.2 MB", "1.1 GB" (powers of 1024). */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "-";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** An ISO timestamp as local "YYYY-MM-DD HH:MM:SS", or "-" when missing or unreadable. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "-";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "-";
  const p = (n: number): string => String(n).padStart(2, "0");
  return (
    `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
  );
}

/** A number with at most `digits` decimals, "-" when missing. */
export function formatNumber(n: number | null | undefined, digits = 1): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "-";
  return String(Number(n.toFixed(digits)));
}
