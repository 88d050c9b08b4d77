import type { UsageBucket } from "../../api/obs-types";
import { formatBytes, formatRate } from "../../format";
import { formatCpuPct } from "../apps/stats-format";

/**
 * The usage API's 5-minute buckets as chart series: one x per bucket of the
 * range (Unix seconds, uPlot's time axis), a null where no bucket was
 * stored (the app was stopped or unreported, drawn as a gap, never as 0),
 * and per chart a text summary of the range. Pure.
 */

export type UsageRange = "24h" | "7d" | "90d";

export const USAGE_RANGES: readonly { value: UsageRange; label: string; ms: number }[] = [
  { value: "24h", label: "24 h", ms: 86_400_000 },
  { value: "7d", label: "7 d", ms: 7 * 86_400_000 },
  { value: "90d", label: "90 d", ms: 90 * 86_400_000 },
];

/** How a range is said in a sentence ("the last 7 days"). */
export const RANGE_WORDS: Readonly<Record<UsageRange, string>> = {
  "24h": "the last 24 hours",
  "7d": "the last 7 days",
  "90d": "the last 90 days",
};

export type Series = (number | null)[];

export interface UsageSeries {
  /** Bucket starts in Unix seconds, every bucket of the range, oldest first. */
  x: number[];
  cpuAvg: Series;
  cpuMax: Series;
  /** Bytes. */
  memAvg: Series;
  memMax: Series;
  /** Megabits per second. */
  netAvg: Series;
  netMax: Series;
}

/**
 * Every bucket start from the one holding `fromMs` up to `toMs` (or the last
 * bucket returned, if later: the server's clock may be ahead), with each
 * returned bucket at its place and null in the others.
 */
export function bucketsToSeries(
  buckets: readonly UsageBucket[],
  bucketSeconds: number,
  fromMs: number,
  toMs: number,
): UsageSeries {
  const step = bucketSeconds * 1000;
  const byStart = new Map<number, UsageBucket>();
  let last = toMs;
  for (const b of buckets) {
    const t = Date.parse(b.start);
    if (Number.isNaN(t)) continue;
    byStart.set(t, b);
    last = Math.max(last, t);
  }
  const out: UsageSeries = { x: [], cpuAvg: [], cpuMax: [], memAvg: [], memMax: [], netAvg: [], netMax: [] };
  for (let t = Math.floor(fromMs / step) * step; t <= last; t += step) {
    const b = byStart.get(t);
    out.x.push(t / 1000);
    out.cpuAvg.push(b ? b.cpu_pct_avg : null);
    out.cpuMax.push(b ? b.cpu_pct_max : null);
    out.memAvg.push(b ? b.mem_bytes_avg : null);
    out.memMax.push(b ? b.mem_bytes_max : null);
    out.netAvg.push(b ? b.net_mbps_avg : null);
    out.netMax.push(b ? b.net_mbps_max : null);
  }
  return out;
}

export interface SeriesSummary {
  min: number;
  avg: number;
  max: number;
  /** Buckets with data. */
  count: number;
}

/** Min, mean and max of the series' values, skipping gaps; null when it has none. */
export function summarise(values: Series): SeriesSummary | null {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let count = 0;
  for (const v of values) {
    if (v === null || !Number.isFinite(v)) continue;
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
    count++;
  }
  return count === 0 ? null : { min, avg: sum / count, max, count };
}

export interface ChartSpec {
  key: "cpu" | "memory" | "network";
  title: string;
  /** The y axis label, with its unit. */
  axisLabel: string;
  format: (n: number) => string;
  avg: Series;
  max: Series;
}

const formatMbps = (n: number): string => formatRate(n, "Mbit/s");

/** The three charts of the Usage tab, in order. */
export function usageCharts(s: UsageSeries): ChartSpec[] {
  return [
    { key: "cpu", title: "CPU", axisLabel: "CPU (%)", format: formatCpuPct, avg: s.cpuAvg, max: s.cpuMax },
    {
      key: "memory",
      title: "Memory",
      axisLabel: "Memory (bytes)",
      format: formatBytes,
      avg: s.memAvg,
      max: s.memMax,
    },
    {
      key: "network",
      title: "Network",
      axisLabel: "Network (Mbit/s)",
      format: formatMbps,
      avg: s.netAvg,
      max: s.netMax,
    },
  ];
}

/**
 * The chart in one sentence, for its caption and its canvas's label: the
 * spread of the 5-minute averages and the highest single reading.
 */
export function describeChart(spec: ChartSpec, range: UsageRange): string {
  const avg = summarise(spec.avg);
  const peak = summarise(spec.max);
  if (!avg) return `${spec.title}: no data over ${RANGE_WORDS[range]}.`;
  const f = spec.format;
  return (
    `${spec.title} over ${RANGE_WORDS[range]}: ` +
    `min ${f(avg.min)}, average ${f(avg.avg)}, max ${f(avg.max)} (5-minute averages)` +
    (peak ? `; highest reading ${f(peak.max)}` : "") +
    "."
  );
}

/**
 * Indices of values with a gap (or the edge) on both sides: a line cannot
 * draw them, so the chart marks them as points (an app that ran for one
 * bucket still shows).
 */
export function isolatedIndices(values: Series): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (values[i] === null) continue;
    if ((values[i - 1] ?? null) === null && (values[i + 1] ?? null) === null) out.push(i);
  }
  return out;
}
