import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, api } from "../api/client";

export interface ApiState<T> {
  /** The last answer for the current path (never another path's). */
  data: T | undefined;
  /** The last failure for the current path; data keeps the last good answer. */
  error: ApiError | undefined;
  /** True until the first answer for the current path (refreshes keep showing the last data). */
  loading: boolean;
  /** Fetches again now. */
  reload: () => void;
}

export interface UseApiOptions {
  /** Refetch this long after each answer, while the page is visible; never while hidden. */
  refreshMs?: number;
}

/** Calls `fn` now if the page is visible, else once it becomes visible; returns the cancel function. */
function whenVisible(fn: () => void): () => void {
  if (document.visibilityState === "visible") {
    fn();
    return () => undefined;
  }
  const onChange = () => {
    if (document.visibilityState !== "visible") return;
    document.removeEventListener("visibilitychange", onChange);
    fn();
  };
  document.addEventListener("visibilitychange", onChange);
  return () => document.removeEventListener("visibilitychange", onChange);
}

interface Result<T> {
  path: string;
  data: T | undefined;
  error: ApiError | undefined;
}

/**
 * GETs `path` (null: nothing to fetch) and keeps the answer, keyed by path:
 * after the path changes, nothing of the old path's answer is returned.
 * With `refreshMs`, the next request starts `refreshMs` after the previous
 * one settled (a slow server is never flooded, a slow answer never
 * aborted by the next tick), and only while the page is visible: a hidden
 * tab sends nothing and refreshes as soon as it is shown again. Unmounting
 * or changing the path aborts the request in flight. A new `refreshMs`
 * applies from the next answer and sends nothing by itself; only starting
 * to poll (undefined → a number) fetches at once.
 */
export function useApi<T>(path: string | null, options: UseApiOptions = {}): ApiState<T> {
  const { refreshMs } = options;
  const [result, setResult] = useState<Result<T>>();
  const [tick, setTick] = useState(0);
  const refreshMsRef = useRef(refreshMs);
  useEffect(() => {
    refreshMsRef.current = refreshMs;
  }, [refreshMs]);
  const polling = refreshMs !== undefined;

  useEffect(() => {
    if (path === null) return;
    const ctl = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let cancelWait = () => undefined as void;
    const next = () => {
      const ms = refreshMsRef.current;
      if (ctl.signal.aborted || ms === undefined) return;
      timer = setTimeout(() => {
        cancelWait = whenVisible(() => setTick((t) => t + 1));
      }, ms);
    };
    api
      .get<T>(path, { signal: ctl.signal })
      .then((data) => {
        if (!ctl.signal.aborted) setResult({ path, data, error: undefined });
      })
      .catch((err: unknown) => {
        if (ctl.signal.aborted) return;
        const error = err instanceof ApiError ? err : new ApiError(0, "client", String(err));
        setResult((prev) => ({ path, data: prev?.path === path ? prev.data : undefined, error }));
      })
      .finally(next);
    return () => {
      ctl.abort();
      clearTimeout(timer);
      cancelWait();
    };
  }, [path, tick, polling]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  const current = result !== undefined && result.path === path ? result : undefined;
  return {
    data: current?.data,
    error: current?.error,
    loading: path !== null && current === undefined,
    reload,
  };
}
