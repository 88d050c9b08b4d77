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
  let field = issue?.path.map(String).join(".") ?? "";
  // An unknown key is reported on the object; name the key itself.
  if (issue?.code === "unrecognized_keys" && issue.keys[0] !== undefined) {
    field = [...issue.path.map(String), issue.keys[0]].join(".");
  }
  const message = issue?.message ?? "invalid";
  throw new InvalidRequestError(field ? `${field}: ${message}` : message, field || undefined);
}
