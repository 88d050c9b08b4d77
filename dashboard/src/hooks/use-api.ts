import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, api } from "../api/client";

export interface ApiState<T> {
  data: T | undefined;
  error: ApiError | undefined;
  /** True until the first answer (later refreshes keep showing the last data). */
  loading: boolean;
  /** Fetches again now. */
  reload: () => void;
}

export interface UseApiOptions {
  /** Refetch this often while the page is visible; never while hidden. */
  refreshMs?: number;
}

/**
 * GETs `path` (null: nothing to fetch) and keeps the answer. With
 * `refreshMs` it refreshes on that period, but only while the tab is
 * visible, and at once when it becomes visible again; one request at a time,
 * the previous one aborted when the path changes or the component unmounts.
 */
export function useApi<T>(path: string | null, options: UseApiOptions = {}): ApiState<T> {
  const { refreshMs } = options;
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError>();
  const [loading, setLoading] = useState(path !== null);
  const [tick, setTick] = useState(0);
  const pathRef = useRef(path);

  useEffect(() => {
    if (pathRef.current !== path) {
      pathRef.current = path;
      setData(undefined);
      setError(undefined);
      setLoading(path !== null);
    }
    if (path === null) return;
    const ctl = new AbortController();
    api
      .get<T>(path, { signal: ctl.signal })
      .then((d) => {
        setData(d);
        setError(undefined);
      })
      .catch((err: unknown) => {
        if (ctl.signal.aborted) return;
        setError(err instanceof ApiError ? err : new ApiError(0, "client", String(err)));
      })
      .finally(() => {
        if (!ctl.signal.aborted) setLoading(false);
      });
    return () => ctl.abort();
  }, [path, tick]);

  useEffect(() => {
    if (path === null || refreshMs === undefined) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const schedule = () => {
      clearTimeout(timer);
      if (document.visibilityState === "visible") {
        timer = setTimeout(() => setTick((t) => t + 1), refreshMs);
      }
    };
    const onVisibility = () => {
      if (document.visibilityState === "visible") setTick((t) => t + 1);
      else clearTimeout(timer);
    };
    schedule();
    document.addEventListener("visibilitychange", onVisibility);
    return () => {
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisibility);
    };
  }, [path, refreshMs, tick]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}
