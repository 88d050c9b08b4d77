import { z } from "zod";

import { AppError } from "../../errors.js";

/**
 * Errors of the worker-side protocol client. All carry a stable `code`
 * (DESIGN.md 4.8) so callers branch on codes, never on message text.
 */

/**
 * The control plane answered with a non-2xx status: an HTTP endpoint, or a
 * refused WebSocket upgrade. `code` and `message` come from the spec's body
 * `{"error":{"code","message"}}`; when the body has another shape, `code` is
 * `http_<status>` and `body` holds the raw text (at most 64 KiB). A 2xx reply
 * whose body does not match the spec fails with code `bad_response`.
 */
export class WorkerHttpError extends AppError {
  readonly status: number;
  readonly body: string;
  constructor(status: number, code: string, message: string, body: string) {
    super(code, message);
    this.status = status;
    this.body = body;
  }
}

/** Why `WorkerConnection.connect` failed after (or without) an HTTP answer. */
export type ConnectErrorCode = "connect_failed" | "hello_timeout" | "bad_hello" | "closed_before_hello";

export class WorkerConnectError extends AppError {
  declare readonly code: ConnectErrorCode;
  constructor(code: ConnectErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** `send` on a connection that is no longer open, or `waitFor` cut short by the close. */
export class ConnectionClosedError extends AppError {
  constructor(message = "connection is closed") {
    super("connection_closed", message);
  }
}

/** `waitFor` saw no matching message in time. */
export class WaitTimeoutError extends AppError {
  constructor(message: string) {
    super("wait_timeout", message);
  }
}

const errorBodySchema = z.object({ error: z.object({ code: z.string().min(1), message: z.string() }) });

/** Bodies kept on an error are cut to this many characters. */
export const MAX_ERROR_BODY_CHARS = 64 * 1024;

/** The typed error for a non-2xx reply with body `text`. Never throws. */
export function httpErrorFromBody(status: number, text: string): WorkerHttpError {
  const body = text.slice(0, MAX_ERROR_BODY_CHARS);
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    raw = undefined;
  }
  const parsed = errorBodySchema.safeParse(raw);
  if (parsed.success) {
    return new WorkerHttpError(status, parsed.data.error.code, parsed.data.error.message, body);
  }
  return new WorkerHttpError(status, `http_${status}`, `control plane answered HTTP ${status}`, body);
}
