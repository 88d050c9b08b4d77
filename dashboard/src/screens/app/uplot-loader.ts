import type uPlot from "uplot";

/**
 * uPlot and its stylesheet, loaded on first use: a chunk of their own, kept
 * out of the first screen's bundle. One load per page.
 */
let loading: Promise<typeof uPlot> | undefined;

export function loadUPlot(): Promise<typeof uPlot> {
  if (!loading) {
    const p = Promise.all([import("uplot"), import("uplot/dist/uPlot.min.css")]).then(([m]) => m.default);
    // A failed load (network) is tried again by the next caller.
    p.catch(() => {
      if (loading === p) loading = undefined;
    });
    loading = p;
  }
  return loading;
}
