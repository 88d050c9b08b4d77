import type { z } from "zod";
import { InvalidRequestError } from "../errors.js";

/**
 * Parses a request body with its schema, or throws InvalidRequestError whose
 * message names the first offending field (`cpu_millicores: ...`).
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.map(String).join(".") ?? "";
  const message = issue?.message ?? "invalid";
  throw new InvalidRequestError(field ? `${field}: ${message}` : message, field || undefined);
}
