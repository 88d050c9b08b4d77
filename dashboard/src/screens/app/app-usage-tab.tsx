import { useMemo, useState } from "react";
import { seg } from "../../api/client";
import type { UsageResponse } from "../../api/obs-types";
import { Button } from "../../components/button";
import { EmptyState } from "../../components/empty-state";
import { Notice } from "../../components/notice";
import { useApi } from "../../hooks/use-api";
import { UsageChart } from "./usage-chart";
import { bucketsToSeries, describeChart, USAGE_RANGES, usageCharts, type UsageRange } from "./usage-series";
import type { AppTabProps } from "./app-tab-props";

/** How often each range is re-read while visible (undefined: only when chosen). */
const REFRESH_MS: Record<UsageRange, number | undefined> = {
  "24h": 300_000,
  "7d": 1_800_000,
  "90d": undefined,
};
/**
 * Kept off the widest range: the API refuses a range over 90 days measured
 * on its own clock, which may be a little behind the browser's.
 */
const CLOCK_MARGIN_MS = 10 * 60_000;

interface ChosenRange {
  value: UsageRange;
  fromMs: number;
  /** When it was chosen: the x axis ends here, or at the newest bucket if later. */
  toMs: number;
}

function rangeEndingNow(value: UsageRange): ChosenRange {
  const now = Date.now();
  const ms = USAGE_RANGES.find((r) => r.value === value)?.ms ?? 86_400_000;
  return { value, fromMs: now - ms + (value === "90d" ? CLOCK_MARGIN_MS : 0), toMs: now };
}

/**
 * Charts of the app's CPU, memory and network from the usage API's 5-minute
 * buckets over 24 h, 7 d or 90 d. The range's start is fixed when it is
 * chosen; refreshes add the newest buckets, as often as a new bucket
 * changes the picture: every 5 minutes over 24 h, every 30 over 7 d, and
 * over 90 d (26,000 buckets) only when the range is chosen again.
 */
export function AppUsageTab({ app }: AppTabProps) {
  const [range, setRange] = useState(() => rangeEndingNow("24h"));
  const from = new Date(range.fromMs).toISOString();
  const usage = useApi<UsageResponse>(`/apps/${seg(app.slug)}/usage?from=${encodeURIComponent(from)}`, {
    refreshMs: REFRESH_MS[range.value],
  });

  const charts = useMemo(() => {
    if (!usage.data || usage.data.buckets.length === 0) return null;
    const series = bucketsToSeries(usage.data.buckets, usage.data.bucket_seconds, range.fromMs, range.toMs);
    return {
      x: series.x,
      specs: usageCharts(series).map((spec) => ({ spec, summary: describeChart(spec, range.value) })),
    };
  }, [usage.data, range]);

  return (
    <section aria-labelledby="usage-heading">
      <div className="page-head">
        <h2 id="usage-heading">Usage</h2>
        <div className="range-picker" role="group" aria-label="Time range">
          {USAGE_RANGES.map((r) => (
            <Button
              key={r.value}
              variant={r.value === range.value ? "primary" : "secondary"}
              aria-pressed={r.value === range.value}
              onClick={() => setRange(rangeEndingNow(r.value))}
            >
              {r.label}
            </Button>
          ))}
        </div>
      </div>
      <Notice kind="error">{usage.error?.message}</Notice>
      {usage.loading && <p role="status">Loading usage…</p>}
      {!usage.loading && !usage.error && !charts && (
        <EmptyState title="No usage recorded in this range yet">
          Usage is recorded in 5-minute buckets while the app runs.
          {app.status === "running"
            ? " The first bucket appears within 5 minutes."
            : " Deploy or start the app to record its usage."}
        </EmptyState>
      )}
      {charts && (
        <div className="usage-charts">
          {charts.specs.map(({ spec, summary }) => (
            <UsageChart key={spec.key} x={charts.x} spec={spec} summary={summary} />
          ))}
        </div>
      )}
    </section>
  );
}
