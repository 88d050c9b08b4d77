import { useMemo } from "react";
import { qrDrawing } from "../qr-matrix";

/**
 * A QR code drawn as SVG rects, encoded in the browser (no image URL, no
 * outside service: the otpauth URL carries the TOTP secret). Always dark on
 * light, whatever the colour scheme, so phone cameras can read it.
 */
export function QrCode({ text, label, px = 200 }: { text: string; label: string; px?: number }) {
  const drawing = useMemo(() => qrDrawing(text), [text]);
  return (
    <svg
      className="qr"
      role="img"
      aria-label={label}
      width={px}
      height={px}
      viewBox={`0 0 ${drawing.size} ${drawing.size}`}
      shapeRendering="crispEdges"
    >
      <rect width={drawing.size} height={drawing.size} fill="#ffffff" />
      {drawing.runs.map((r) => (
        <rect key={`${r.x},${r.y}`} x={r.x} y={r.y} width={r.width} height={1} fill="#000000" />
      ))}
    </svg>
  );
}
