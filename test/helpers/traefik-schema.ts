import { existsSync, readFileSync } from "node:fs";
import { Ajv } from "ajv";
import addFormats from "ajv-formats";

/** `../shared/schemas/` beside the project's root (shared/schemas/README.md). */
export const TRAEFIK_SCHEMA_URL = new URL(
  "../../../shared/schemas/traefik-v3-dynamic.schema.json",
  import.meta.url,
);

/** Returns the schema errors of `data` ([] when valid). */
export type TraefikSchemaCheck = (data: unknown) => string[];

let cached: TraefikSchemaCheck | null | undefined;

/**
 * A validator for Traefik v3's dynamic configuration (SchemaStore's draft-07
 * schema), or undefined when the schema file is absent, so that only that
 * assertion is skipped. Not strict: SchemaStore schemas use keywords and
 * formats Ajv's strict mode refuses, which say nothing about our output.
 */
export function traefikSchemaValidator(): TraefikSchemaCheck | undefined {
  if (cached !== undefined) return cached ?? undefined;
  if (!existsSync(TRAEFIK_SCHEMA_URL)) {
    cached = null;
    return undefined;
  }
  const schema = JSON.parse(readFileSync(TRAEFIK_SCHEMA_URL, "utf8")) as Record<string, unknown>;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const validate = ajv.compile(schema);
  cached = (data) =>
    validate(data) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ""}`);
  return cached;
}
