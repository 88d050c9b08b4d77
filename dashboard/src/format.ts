/** Pure display formatting shared by the screens (no React here). */

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** 1536 → "1.5 KiB"; null/undefined → "–". */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "–";
  let v = Math.abs(n);
  let i = 0;
  while (v >= 1024 && i < BYTE_UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  const s = i === 0 ? String(Math.round(v)) : v >= 100 ? v.toFixed(0) : v.toFixed(1);
  return `${n < 0 ? "-" : ""}${s} ${BYTE_UNITS[i]}`;
}

/** 0.1234 → "12.3 %" (a fraction); null → "–". */
export function formatPercent(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return "–";
  const p = fraction * 100;
  return `${p >= 10 ? p.toFixed(0) : p.toFixed(1)} %`;
}

/** 500 → "0.5 CPU", 2000 → "2 CPU". */
export function formatMillicores(m: number): string {
  const cpus = m / 1000;
  return `${Number.isInteger(cpus) ? cpus : cpus.toFixed(cpus < 1 ? 2 : 1).replace(/0$/, "")} CPU`;
}

/** 512 → "512 MB", 2048 → "2 GB" (plans count memory in MB). */
export function formatMb(mb: number): string {
  return mb >= 1024 && mb % 1024 === 0 ? `${mb / 1024} GB` : `${mb} MB`;
}

/** A rate with its unit: 0.4 → "0.40 Mbit/s", 12.34 → "12.3 Mbit/s", 250 → "250 Mbit/s"; null → "–". */
export function formatRate(value: number | null | undefined, unit: "Mbit/s" | "MB/s"): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  const digits = value < 10 ? 2 : value < 100 ? 1 : 0;
  return `${value.toFixed(digits)} ${unit}`;
}
