import { ApiError, CliError } from "./cli-errors.js";

/**
 * The CLI's client of the user API (/api/v1). Contract:
 * - every request carries `Origin: <server origin>` (cookie-authenticated
 *   POSTs are refused without it) and, when set, `Authorization: Bearer`;
 * - a `wh_session` cookie set by the server is kept and sent back (login
 *   holds a cookie session just long enough to create an API token);
 * - an error status becomes an {@link ApiError} with the API's message and
 *   code (`{"error": {"code", "message"}}`), or the status line when the
 *   body is not that shape; an unreachable server is a {@link CliError}
 *   saying so;
 * - 204 and empty bodies resolve to `undefined`.
 */

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  query?: Query;
  /** JSON-encoded unless it is a stream (then `contentType` is required). */
  body?: unknown;
  contentType?: string;
  /** Sent as Content-Length with a stream body. */
  contentLength?: number;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface CliApiOptions {
  server: string;
  token?: string;
  fetch?: typeof fetch;
}

export class CliApi {
  readonly server: string;
  readonly origin: string;
  token: string | undefined;
  cookie: string | undefined;
  readonly #fetch: typeof fetch;

  constructor(opts: CliApiOptions) {
    this.server = opts.server;
    this.origin = new URL(opts.server).origin;
    this.token = opts.token;
    this.#fetch = opts.fetch ?? fetch;
  }

  url(path: string, query?: Query): string {
    const u = new URL(`${this.server}/api/v1${path}`);
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v !== undefined && v !== null) u.searchParams.set(k, String(v));
    }
    return u.toString();
  }

  /** Sends the request and returns the response as it is, after turning an error status into ApiError. */
  async raw(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { origin: this.origin, ...opts.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (this.cookie) headers.cookie = this.cookie;
    let body: ReadableStream<Uint8Array> | string | undefined;
    let duplex: "half" | undefined;
    if (opts.body instanceof ReadableStream) {
      body = opts.body as ReadableStream<Uint8Array>;
      duplex = "half";
      headers["content-type"] = opts.contentType ?? "application/octet-stream";
      if (opts.contentLength !== undefined) headers["content-length"] = String(opts.contentLength);
    } else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers["content-type"] = "application/json";
    }
    let res: Response;
    try {
      res = await this.#fetch(this.url(path, opts.query), {
        method,
        headers,
        body,
        redirect: "manual",
        ...(duplex ? { duplex } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
      throw new CliError(`cannot reach ${this.server} (${cause}); is the server running and the URL right?`);
    }
    this.#keepCookie(res);
    if (!res.ok) throw await errorFrom(res, this.token !== undefined);
    return res;
  }

  /** A JSON request; resolves to the parsed body (undefined for 204). */
  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.raw(method, path, opts);
    const text = await res.text();
    if (text === "") return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(
        `${method} ${path}: the server answered ${res.status} with something that is not JSON`,
      );
    }
  }

  get<T = unknown>(path: string, query?: Query): Promise<T> {
    return this.request<T>("GET", path, query ? { query } : {});
  }
  post<T = unknown>(path: string, body: unknown = {}, query?: Query): Promise<T> {
    return this.request<T>("POST", path, { body, ...(query ? { query } : {}) });
  }
  patch<T = unknown>(path: string, body: unknown): Promise<T> {
    return this.request<T>("PATCH", path, { body });
  }
  delete<T = unknown>(path: string): Promise<T> {
    return this.request<T>("DELETE", path);
  }

  #keepCookie(res: Response): void {
    const setCookie = res.headers.get("set-cookie");
    const m = setCookie ? /(?:^|,\s*)wh_session=([^;]*)/.exec(setCookie) : null;
    if (m) this.cookie = m[1] ? `wh_session=${m[1]}` : undefined;
  }
}

/** A path segment, encoded (slugs and hostnames are validated by the API; this keeps `/` and `?` out). */
export function seg(value: string | number): string {
  return encodeURIComponent(String(value));
}

async function errorFrom(res: Response, withToken: boolean): Promise<ApiError> {
  const text = await res.text().catch(() => "");
  let code = `http_${res.status}`;
  let message = `the server answered ${res.status} ${res.statusText}`.trim();
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.message === "string") message = body.error.message;
    if (typeof body.error?.code === "string") code = body.error.code;
  } catch {
    // not the API's error shape: keep the status line
  }
  if (res.status === 401 && code === "unauthorized" && withToken) {
    message = `${message} (log in again with \`wisehosting login\`)`;
  }
  return new ApiError(message, res.status, code);
}
