/** Small helpers shared by the benchmarks. */

/** Runs `fn` over `items` with at most `limit` calls in flight; results keep the order of `items`. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/** The q-quantile (0..1) of `values` by nearest rank; NaN when empty. Sorts a copy. */
export function percentile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** Milliseconds on the wall-clock time line shared by processes of one machine. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** `n` with 2 significant decimals below 10, 1 below 100, none above. */
export function fmtNum(n: number): string {
  if (!Number.isFinite(n)) return "n/a";
  return n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : fmtInt(n);
}

export function fmtKb(bytes: number): string {
  return `${fmtNum(bytes / 1024)} KB`;
}

export function fmtMb(bytes: number): string {
  return `${fmtNum(bytes / (1024 * 1024))} MB`;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
