import { useEffect, useId, useRef, useState } from "react";
import type uPlot from "uplot";
import { Notice } from "../../components/notice";
import { loadUPlot } from "./uplot-loader";
import { isolatedIndices, type ChartSpec } from "./usage-series";

const HEIGHT_PX = 220;

function cssVar(el: Element, name: string, fallback: string): string {
  return getComputedStyle(el).getPropertyValue(name).trim() || fallback;
}

/**
 * One usage chart: the 5-minute averages (solid) and maxima (dashed) of
 * `spec` over the x axis `x` (Unix seconds; uPlot shows the browser's time
 * zone), as wide as its container. The canvas is an image labelled with
 * `summary`, which is also the visible caption.
 */
export function UsageChart({ x, spec, summary }: { x: number[]; spec: ChartSpec; summary: string }) {
  const holder = useRef<HTMLDivElement>(null);
  const [loadError, setLoadError] = useState<string>();
  const captionId = useId();

  useEffect(() => {
    const el = holder.current;
    if (!el) return;
    let plot: uPlot | undefined;
    let observer: ResizeObserver | undefined;
    let cancelled = false;
    loadUPlot()
      .then((UPlot) => {
        if (cancelled) return;
        const text = cssVar(el, "--muted", "#59636e");
        const grid = cssVar(el, "--border", "#d1d9e0");
        const accent = cssVar(el, "--accent", "#0b5cd5");
        const axis = {
          stroke: text,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid, width: 1 },
        };
        const fmt = (v: number | null) => (v === null ? "–" : spec.format(v));
        plot = new UPlot(
          {
            width: Math.max(200, el.clientWidth),
            height: HEIGHT_PX,
            legend: { show: false },
            cursor: { drag: { x: false, y: false } },
            scales: { y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
            axes: [
              { ...axis, label: "Time", labelSize: 18 },
              {
                ...axis,
                label: spec.axisLabel,
                labelSize: 18,
                size: 88,
                values: (_u, splits) => splits.map((v) => spec.format(v)),
              },
            ],
            series: [
              {},
              {
                label: "Average",
                stroke: accent,
                width: 2,
                value: (_u, v) => fmt(v),
                points: { show: true, size: 5, fill: accent, filter: isolatedIndices(spec.avg) },
              },
              {
                label: "Max",
                stroke: accent,
                width: 1,
                dash: [4, 4],
                value: (_u, v) => fmt(v),
                points: { show: true, size: 3, filter: isolatedIndices(spec.max) },
              },
            ],
          },
          [x, spec.avg, spec.max],
          el,
        );
        const canvas = plot.root.querySelector("canvas");
        canvas?.setAttribute("role", "img");
        canvas?.setAttribute("aria-label", summary);
        observer = new ResizeObserver(() => {
          const w = Math.max(200, el.clientWidth);
          if (plot && plot.width !== w) plot.setSize({ width: w, height: HEIGHT_PX });
        });
        observer.observe(el);
      })
      .catch((err: unknown) => {
        if (!cancelled) setLoadError(err instanceof Error ? err.message : String(err));
      });
    return () => {
      cancelled = true;
      observer?.disconnect();
      plot?.destroy();
    };
  }, [x, spec, summary]);

  return (
    <figure className="card usage-chart" aria-labelledby={captionId}>
      <h3>{spec.title}</h3>
      <Notice kind="error">{loadError && `The chart could not be loaded: ${loadError}`}</Notice>
      <div ref={holder} className="usage-plot" />
      <figcaption id={captionId} className="muted">
        {summary} Solid line: 5-minute average; dashed: 5-minute maximum.
      </figcaption>
    </figure>
  );
}
