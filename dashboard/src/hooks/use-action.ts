import { useCallback, useLayoutEffect, useRef, useState } from "react";
import { ApiError } from "../api/client";

export interface ActionState<A extends unknown[], R> {
  /** Runs the action; resolves with its result, or undefined when it failed (the error is kept). */
  run: (...args: A) => Promise<R | undefined>;
  pending: boolean;
  error: ApiError | undefined;
  /** The API's message for this field (without its `field: ` prefix), when the last error named it. */
  fieldError: (field: string) => string | undefined;
  /** The last error when it names no field shown by the form (shown above the form). */
  formError: (fields: readonly string[]) => string | undefined;
  reset: () => void;
}

/**
 * Wraps one mutation: tracks its progress and keeps its error so the form
 * can show the API's message beside the field it names. Concurrent runs of
 * the same action are refused while one is pending (double clicks).
 */
export function useAction<A extends unknown[], R>(fn: (...args: A) => Promise<R>): ActionState<A, R> {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError>();
  const busy = useRef(false);
  const fnRef = useRef(fn);
  useLayoutEffect(() => {
    fnRef.current = fn;
  });

  const run = useCallback(async (...args: A) => {
    if (busy.current) return undefined;
    busy.current = true;
    setPending(true);
    setError(undefined);
    try {
      return await fnRef.current(...args);
    } catch (err) {
      setError(
        err instanceof ApiError
          ? err
          : new ApiError(0, "client", err instanceof Error ? err.message : String(err)),
      );
      return undefined;
    } finally {
      busy.current = false;
      setPending(false);
    }
  }, []);

  const fieldError = useCallback(
    (field: string) => {
      const f = error?.field;
      if (!error || !f || (f !== field && !f.startsWith(`${field}.`))) return undefined;
      // Beside its own input the field's name is noise; a nested one (env.FOO) keeps its key.
      return f === field && error.message.startsWith(`${f}: `)
        ? error.message.slice(f.length + 2)
        : error.message;
    },
    [error],
  );
  const formError = useCallback(
    (fields: readonly string[]) => {
      if (!error) return undefined;
      const f = error.field;
      if (f && fields.some((x) => f === x || f.startsWith(`${x}.`))) return undefined;
      return error.message;
    },
    [error],
  );
  const reset = useCallback(() => setError(undefined), []);
  return { run, pending, error, fieldError, formError, reset };
}
