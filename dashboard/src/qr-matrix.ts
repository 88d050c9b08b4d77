import { encode } from "uqr";

/** One horizontal run of dark modules, in module units (quiet zone included). */
export interface QrRun {
  x: number;
  y: number;
  width: number;
}

export interface QrDrawing {
  /** Modules per side, quiet zone included: the SVG's viewBox is `0 0 size size`. */
  size: number;
  runs: QrRun[];
}

/** The light border every reader needs around the symbol (ISO/IEC 18004: 4 modules). */
export const QR_QUIET_ZONE = 4;

/**
 * Turns a QR matrix (rows of booleans, true = dark) into the runs of dark
 * modules an SVG draws as <rect>s, offset by the quiet zone. Every dark
 * module lies in exactly one run; nothing is drawn in the quiet zone.
 */
export function matrixToRuns(matrix: readonly (readonly boolean[])[], quietZone = QR_QUIET_ZONE): QrDrawing {
  const runs: QrRun[] = [];
  matrix.forEach((row, y) => {
    let start = -1;
    for (let x = 0; x <= row.length; x++) {
      const dark = x < row.length && row[x] === true;
      if (dark && start < 0) start = x;
      if (!dark && start >= 0) {
        runs.push({ x: start + quietZone, y: y + quietZone, width: x - start });
        start = -1;
      }
    }
  });
  return { size: matrix.length + 2 * quietZone, runs };
}

/** Encodes `text` (an otpauth:// URL) locally, in this browser: nothing leaves the page. */
export function qrDrawing(text: string): QrDrawing {
  // uqr adds its own border unless told not to; the quiet zone is ours.
  return matrixToRuns(encode(text, { border: 0, ecc: "M" }).data);
}
