import http from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { WebhookError } from "./errors.js";
import type { OutboundRequest } from "./formatters/request.js";
import { checkTarget, systemResolver, type Resolver } from "./ssrf.js";

/**
 * Sends one OutboundRequest behind the SSRF guard:
 * 1. parse the URL (http/https only) and run checkTarget (resolve + refuse);
 * 2. connect to the checked address itself (the request's `host` is the IP,
 *    `Host` header and TLS server name are the original name, certificates
 *    are verified against that name); a `lookup` that always fails makes any
 *    second DNS lookup an error instead of a bypass;
 * 3. one deadline (default 10 s) covers resolving, connecting, sending and
 *    reading the response; redirects are not followed: a 3xx is a failure.
 *
 * `send` never throws: the outcome says what happened. Error texts carry the
 * host and address at most, never the path, query or user info of the URL,
 * which is where chat services keep their tokens.
 */

export const DEFAULT_TIMEOUT_MS = 10_000;
/** Response bytes kept for the error text of a failed delivery. */
const SNIPPET_BYTES = 200;
/** A response body larger than this is not drained: the socket is dropped. */
const MAX_DRAIN_BYTES = 64 * 1024;

export interface SendOutcome {
  ok: boolean;
  /** The response's status, null when none arrived. */
  statusCode: number | null;
  /** Why it failed, for `last_error`; null on success. */
  error: string | null;
  /** True when the SSRF guard refused: no connection was made. */
  blocked: boolean;
}

export interface GuardedHttpClientOptions {
  allowPrivateTargets: boolean;
  resolver?: Resolver;
  timeoutMs?: number;
  /** Sockets per destination in the keep-alive pools. */
  maxSockets?: number;
  userAgent?: string;
}

const noSecondLookup: LookupFunction = (_hostname, _options, callback) => {
  callback(new Error("refused: a second DNS lookup after the SSRF check"), "", 4);
};

export class GuardedHttpClient {
  private readonly opts: GuardedHttpClientOptions;
  private readonly resolver: Resolver;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(opts: GuardedHttpClientOptions) {
    this.opts = opts;
    this.resolver = opts.resolver ?? systemResolver;
    const pool = { keepAlive: true, maxSockets: opts.maxSockets ?? 64, scheduling: "lifo" as const };
    this.httpAgent = new http.Agent(pool);
    this.httpsAgent = new https.Agent(pool);
  }

  async send(
    req: OutboundRequest,
    timeoutMs = this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  ): Promise<SendOutcome> {
    const deadline = Date.now() + timeoutMs;
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return failure("invalid request URL");
    }
    if (url.protocol !== "http:" && url.protocol !== "https:")
      return failure("only http(s) targets are sent");
    let checked;
    try {
      checked = await withDeadline(
        checkTarget(url, { resolver: this.resolver, allowPrivateTargets: this.opts.allowPrivateTargets }),
        deadline,
        timeoutMs,
      );
    } catch (err) {
      if (err instanceof WebhookError)
        return {
          ok: false,
          statusCode: null,
          error: err.message,
          blocked: err.code === "webhook_target_blocked",
        };
      return failure(describe(err));
    }
    return this.exchange(req, url, checked.hostname, checked.address, deadline, timeoutMs);
  }

  /** Closes the pooled sockets. Requests in flight are not waited for (the dispatcher does that). */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private exchange(
    req: OutboundRequest,
    url: URL,
    hostname: string,
    address: string,
    deadline: number,
    timeoutMs: number,
  ): Promise<SendOutcome> {
    return new Promise((resolve) => {
      const secure = url.protocol === "https:";
      const body = Buffer.from(req.body, "utf8");
      let settled = false;
      let timedOut = false;
      let statusCode: number | null = null;
      const finish = (outcome: SendOutcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      const options: https.RequestOptions = {
        host: address,
        port: url.port === "" ? (secure ? 443 : 80) : Number(url.port),
        path: `${url.pathname}${url.search}`,
        method: req.method,
        headers: {
          ...req.headers,
          host: url.host,
          "content-length": String(body.length),
          "user-agent": this.opts.userAgent ?? "wisehosting-webhooks/1",
        },
        agent: secure ? this.httpsAgent : this.httpAgent,
        lookup: noSecondLookup,
        ...(secure && isIP(hostname) === 0 ? { servername: hostname } : {}),
      };
      const clientReq = (secure ? https : http).request(options, (res) => {
        statusCode = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let kept = 0;
        let seen = 0;
        res.on("data", (chunk: Buffer) => {
          seen += chunk.length;
          if (kept < SNIPPET_BYTES) {
            chunks.push(chunk);
            kept += chunk.length;
          }
          if (seen > MAX_DRAIN_BYTES) res.destroy();
        });
        const done = (): void => finish(outcomeFor(statusCode ?? 0, Buffer.concat(chunks).toString("utf8")));
        res.on("end", done);
        res.on("close", done);
        res.on("error", done);
      });
      const timer = setTimeout(
        () => {
          timedOut = true;
          clientReq.destroy();
        },
        Math.max(0, deadline - Date.now()),
      );
      clientReq.on("error", (err) => {
        if (statusCode !== null) return; // the response handler reports
        finish(failure(timedOut ? `timed out after ${timeoutMs} ms` : describe(err)));
      });
      clientReq.on("close", () => {
        if (timedOut && statusCode === null) finish(failure(`timed out after ${timeoutMs} ms`));
      });
      clientReq.end(body);
    });
  }
}

function failure(error: string): SendOutcome {
  return { ok: false, statusCode: null, error, blocked: false };
}

function outcomeFor(status: number, snippet: string): SendOutcome {
  if (status >= 200 && status < 300) return { ok: true, statusCode: status, error: null, blocked: false };
  // Control characters (C0 and DEL) become spaces: the text ends up in logs and the dashboard.
  const text = Array.from(snippet, (c) => (c < " " || c === "\x7f" ? " " : c))
    .join("")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, SNIPPET_BYTES);
  const error =
    status >= 300 && status < 400
      ? `redirect (HTTP ${status}) refused: webhooks do not follow redirects`
      : `HTTP ${status}${text ? `: ${text}` : ""}`;
  return { ok: false, statusCode: status, error, blocked: false };
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

/** `work`, or a rejection once `deadline` (epoch ms) passes. */
async function withDeadline<T>(work: Promise<T>, deadline: number, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${timeoutMs} ms`)),
      Math.max(0, deadline - Date.now()),
    );
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
