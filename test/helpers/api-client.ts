/**
 * A small client of the user API for tests: JSON in and out, a cookie jar of
 * one session cookie, the Origin header a browser would send, or a bearer
 * token instead. Returns status, headers and parsed body; never throws on
 * an HTTP error status.
 */
export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export class ApiClient {
  cookie: string | undefined;
  token: string | undefined;

  constructor(
    readonly baseUrl: string,
    opts: { token?: string } = {},
  ) {
    this.token = opts.token;
  }

  /** A client with the same credentials (a second tab, or a copy of a stolen cookie). */
  clone(): ApiClient {
    const c = new ApiClient(this.baseUrl, this.token === undefined ? {} : { token: this.token });
    c.cookie = this.cookie;
    return c;
  }

  async request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> {
    const h: Record<string, string> = { origin: this.baseUrl, ...headers };
    if (this.cookie) h.cookie = this.cookie;
    if (this.token) h.authorization = `Bearer ${this.token}`;
    let payload: string | Uint8Array | undefined;
    if (body instanceof Uint8Array) {
      payload = body;
    } else if (body !== undefined) {
      h["content-type"] ??= "application/json";
      payload = JSON.stringify(body);
    }
    const res = await fetch(`${this.baseUrl}/api/v1${path}`, { method, headers: h, body: payload });
    const setCookie = res.headers.get("set-cookie");
    if (setCookie) {
      const m = /^wh_session=([^;]*)/.exec(setCookie);
      if (m) this.cookie = m[1] ? `wh_session=${m[1]}` : undefined;
    }
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get("content-type") ?? "").includes("json") && text !== "") parsed = JSON.parse(text);
    return { status: res.status, headers: res.headers, body: parsed as T };
  }

  get<T = any>(path: string): Promise<ApiResponse<T>> {
    return this.request<T>("GET", path);
  }
  post<T = any>(path: string, body?: unknown): Promise<ApiResponse<T>> {
    return this.request<T>("POST", path, body ?? {});
  }
  put<T = any>(path: string, body?: unknown): Promise<ApiResponse<T>> {
    return this.request<T>("PUT", path, body ?? {});
  }
  patch<T = any>(path: string, body?: unknown): Promise<ApiResponse<T>> {
    return this.request<T>("PATCH", path, body ?? {});
  }
  delete<T = any>(path: string): Promise<ApiResponse<T>> {
    return this.request<T>("DELETE", path);
  }
}

/** Signs up (the first account becomes admin) and returns a client holding the session. */
export async function signUp(
  baseUrl: string,
  email: string,
  password = "correct horse battery",
): Promise<ApiClient> {
  const c = new ApiClient(baseUrl);
  const r = await c.post("/auth/signup", { email, password });
  if (r.status !== 201) throw new Error(`signup ${email}: ${r.status} ${JSON.stringify(r.body)}`);
  return c;
}
