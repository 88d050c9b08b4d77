import { encode } from "uqr";
import { describe, expect, it } from "vitest";
import { matrixToRuns, qrDrawing, QR_QUIET_ZONE } from "./qr-matrix";

/** Paints the runs back onto a grid of `size` (quiet zone included). */
function paint(size: number, runs: { x: number; y: number; width: number }[]): number[][] {
  const grid = Array.from({ length: size }, () => Array<number>(size).fill(0));
  for (const r of runs) for (let x = r.x; x < r.x + r.width; x++) grid[r.y]![x]! += 1;
  return grid;
}

describe("matrixToRuns", () => {
  it("merges horizontal runs and offsets them by the quiet zone", () => {
    const m = [
      [true, true, false, true],
      [false, false, false, false],
      [true, false, true, true],
      [true, true, true, true],
    ];
    const d = matrixToRuns(m, 2);
    expect(d.size).toBe(8);
    expect(d.runs).toEqual([
      { x: 2, y: 2, width: 2 },
      { x: 5, y: 2, width: 1 },
      { x: 2, y: 4, width: 1 },
      { x: 4, y: 4, width: 2 },
      { x: 2, y: 5, width: 4 },
    ]);
  });

  it("covers every dark module of a real otpauth code exactly once and leaves the quiet zone light", () => {
    const url = "otpauth://totp/wisehosting:ann%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=wisehosting";
    const matrix = encode(url, { border: 0, ecc: "M" }).data;
    const d = qrDrawing(url);
    expect(d.size).toBe(matrix.length + 2 * QR_QUIET_ZONE);
    const grid = paint(d.size, d.runs);
    for (let y = 0; y < d.size; y++) {
      for (let x = 0; x < d.size; x++) {
        const inner = matrix[y - QR_QUIET_ZONE]?.[x - QR_QUIET_ZONE] ?? false;
        expect(grid[y]![x], `module ${x},${y}`).toBe(inner ? 1 : 0);
      }
    }
    const dark = matrix.flat().filter(Boolean).length;
    expect(d.runs.reduce((n, r) => n + r.width, 0)).toBe(dark);
    // The finder pattern's top row: seven dark modules in one run at the quiet zone's corner.
    expect(d.runs[0]).toEqual({ x: QR_QUIET_ZONE, y: QR_QUIET_ZONE, width: 7 });
  });

  it("draws nothing for an all-light matrix", () => {
    expect(
      matrixToRuns([
        [false, false],
        [false, false],
      ]).runs,
    ).toEqual([]);
  });
});
