/**
 * The dashboard's only way to the server: JSON over fetch to /api/v1 with the
 * session cookie. Every non-2xx answer becomes an ApiError carrying the API's
 * code, message and (for validation errors) the field it names. A 401 on a
 * signed-in call tells the listeners (the app signs the user out).
 */

export const API_BASE = "/api/v1";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The request field the message is about (`name`, `env.FOO`), when the API names one. */
    readonly field?: string,
    /** Seconds to wait before retrying (429). */
    readonly retryAfterS?: number,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();

/** Called when a request that needed a session got 401; returns the unsubscribe function. */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

interface ErrorBody {
  error?: { code?: unknown; message?: unknown; field?: unknown };
}

async function toApiError(res: Response): Promise<ApiError> {
  let body: ErrorBody = {};
  try {
    body = (await res.json()) as ErrorBody;
  } catch {
    // not JSON (a proxy's error page): fall back to the status text
  }
  const e = body.error ?? {};
  const retry = Number(res.headers.get("retry-after"));
  return new ApiError(
    res.status,
    typeof e.code === "string" ? e.code : `http_${res.status}`,
    typeof e.message === "string" ? e.message : `${res.status} ${res.statusText || "request failed"}`,
    typeof e.field === "string" ? e.field : undefined,
    Number.isFinite(retry) && retry > 0 ? retry : undefined,
  );
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** Do not tell the unauthorized listeners (log-in and the first /me probe). */
  quiet401?: boolean;
}

/** Sends one request; resolves with the parsed JSON body (undefined for 204). */
export async function request<T>(
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
  path: string,
  body?: unknown,
  opts: RequestOptions = {},
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(API_BASE + path, {
      method,
      credentials: "same-origin",
      headers:
        body === undefined
          ? { accept: "application/json" }
          : { accept: "application/json", "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: opts.signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    throw new ApiError(0, "network", "Cannot reach the server: check your connection and try again.");
  }
  if (!res.ok) {
    const err = await toApiError(res);
    if (res.status === 401 && err.code === "unauthorized" && !opts.quiet401) {
      for (const l of unauthorizedListeners) l();
    }
    throw err;
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export const api = {
  get: <T>(path: string, opts?: RequestOptions) => request<T>("GET", path, undefined, opts),
  post: <T>(path: string, body?: unknown, opts?: RequestOptions) =>
    request<T>("POST", path, body ?? {}, opts),
  put: <T>(path: string, body: unknown, opts?: RequestOptions) => request<T>("PUT", path, body, opts),
  patch: <T>(path: string, body: unknown, opts?: RequestOptions) => request<T>("PATCH", path, body, opts),
  del: <T = void>(path: string, opts?: RequestOptions) => request<T>("DELETE", path, undefined, opts),
};

/** A path segment from user data (slug, hostname, id), encoded. */
export function seg(value: string | number): string {
  return encodeURIComponent(String(value));
}
