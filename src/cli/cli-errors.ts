/**
 * Errors the CLI reports without a stack: `wisehosting: <message>` on
 * stderr, then the process exits with `exitCode` (1 for failures, 2 for a
 * bad command line).
 */

/** An error the user can act on. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** Bad command line: printed with the command's usage, exit 2. */
export class UsageError extends CliError {
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message, 2);
    this.name = "UsageError";
  }
}

/** The API answered with an error: its message, code and HTTP status. */
export class ApiError extends CliError {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message, 1);
    this.name = "ApiError";
  }
}
