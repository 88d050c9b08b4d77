import type { FastifyError, FastifyInstance } from "fastify";
import { AppError } from "../errors.js";

/**
 * The one place where error codes become HTTP statuses. Domain code throws
 * AppError subclasses; everything else is a 500 whose message never leaks
 * internals. Body shape: {"error": {"code": "...", "message": "..."}}.
 */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  invalid_request: 400,
  unauthorized: 401,
  totp_required: 401,
  forbidden: 403,
  plan_limit: 403,
  not_found: 404,
  name_taken: 409,
  conflict: 409,
  totp_enabled: 409,
  totp_disabled: 409,
  totp_setup_expired: 409,
  domain_unverified: 409,
  app_not_running: 409,
  webhook_limit: 409,
  invalid_archive: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  unavailable: 503,
};

export function statusForCode(code: string): number {
  return STATUS_BY_CODE[code] ?? (code.endsWith("_taken") || code.endsWith("_exists") ? 409 : 400);
}

export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

/** `field` (the user API only) names the offending input, so a form can show the message beside it. */
export function errorBody(code: string, message: string, field?: string): ErrorBody {
  return { error: field === undefined ? { code, message } : { code, message, field } };
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AppError | Error, request, reply) => {
    if (err instanceof AppError) {
      const retryAfter = (err as AppError & { retryAfterS?: unknown }).retryAfterS;
      if (typeof retryAfter === "number") reply.header("retry-after", String(Math.ceil(retryAfter)));
      // The worker API's error shape is fixed by the protocol spec: `field` only under /api/.
      const field = request.url.startsWith("/api/") ? err.field : undefined;
      return reply.status(statusForCode(err.code)).send(errorBody(err.code, err.message, field));
    }
    const fe = err as FastifyError;
    if (fe.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      return reply.status(413).send(errorBody("payload_too_large", "request body too large"));
    }
    if (fe.validation) {
      return reply.status(400).send(errorBody("invalid_request", fe.message));
    }
    if (typeof fe.statusCode === "number" && fe.statusCode >= 400 && fe.statusCode < 500) {
      const code = fe.statusCode === 415 ? "unsupported_media_type" : "invalid_request";
      return reply.status(fe.statusCode).send(errorBody(code, fe.message));
    }
    request.log.error({ err }, "request failed");
    return reply.status(500).send(errorBody("internal", "internal server error"));
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.status(404).send(errorBody("not_found", "no such route")),
  );
}
