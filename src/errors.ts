/**
 * Coded errors. Domain code throws an AppError subclass with a stable `code`;
 * only the HTTP edge (src/api/http-errors.ts) maps codes to statuses and JSON.
 * A message of an AppError is safe to show to the caller; anything else that
 * escapes to the edge becomes a 500 with a generic message.
 */
export class AppError extends Error {
  readonly code: string;
  /** The request field the error is about (`memory_mb`, `env.FOO`), when there is one. */
  readonly field: string | undefined;
  constructor(code: string, message: string, options?: { cause?: unknown; field?: string }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.field = options?.field;
  }
}

/** Input that does not satisfy a schema; `field` names the offending field. */
export class InvalidRequestError extends AppError {
  constructor(message: string, field?: string) {
    super("invalid_request", message, field === undefined ? undefined : { field });
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = "missing or invalid credentials") {
    super("unauthorized", message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = "not allowed") {
    super("forbidden", message);
  }
}

export class NotFoundError extends AppError {
  constructor(message = "not found") {
    super("not_found", message);
  }
}

export class ConflictError extends AppError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}

/**
 * A configuration or start-up problem. The CLI prints `message` as one line
 * and exits with code 2.
 */
export class ConfigError extends AppError {
  constructor(message: string) {
    super("config_error", message);
  }
}
