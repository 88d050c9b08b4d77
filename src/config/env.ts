import type { z } from "zod";
import { configSchema } from "./schema.js";

/** Leaf keys whose environment variable does not follow the general rule. */
export const ENV_OVERRIDES: Readonly<Record<string, string>> = {
  "server.listen": "WISEHOSTING_LISTEN",
  "server.public_url": "WISEHOSTING_PUBLIC_URL",
  "server.tls_cert": "WISEHOSTING_TLS_CERT",
  "server.tls_key": "WISEHOSTING_TLS_KEY",
  data_dir: "WISEHOSTING_DATA_DIR",
  "database.url": "DATABASE_URL",
  "api_server.secret": "WISEHOSTING_SECRET",
  "proxy.token": "WISEHOSTING_PROXY_TOKEN",
  "proxy.base_domain": "WISEHOSTING_BASE_DOMAIN",
};

type LeafKind = "string" | "number" | "boolean" | "array";

export interface EnvBinding {
  /** Dotted YAML path, e.g. `scheduler.interval_ms`. */
  key: string;
  env: string;
  kind: LeafKind;
}

/** The general rule: `section.key` → `WISEHOSTING_SECTION_KEY`. */
export function envNameFor(key: string): string {
  return ENV_OVERRIDES[key] ?? `WISEHOSTING_${key.replaceAll(".", "_").toUpperCase()}`;
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { def: Def }).def;
}

/** Strips optional/default/prefault/pipe wrappers down to the leaf or object. */
function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (;;) {
    const def = defOf(s);
    if (def.innerType && ["optional", "default", "prefault", "nullable"].includes(def.type))
      s = def.innerType;
    else if (def.type === "pipe" && def.in) s = def.in;
    else return s;
  }
}

function collect(schema: z.ZodType, prefix: string, out: EnvBinding[]): void {
  const inner = unwrap(schema);
  const def = defOf(inner);
  if (def.type === "object") {
    const shape = (inner as unknown as { shape: Record<string, z.ZodType> }).shape;
    for (const [name, child] of Object.entries(shape)) {
      collect(child, prefix ? `${prefix}.${name}` : name, out);
    }
    return;
  }
  if (def.type === "record") return; // maps such as `plans:` are YAML-only
  const kind: LeafKind =
    def.type === "number" || def.type === "boolean" || def.type === "array" ? def.type : "string";
  out.push({ key: prefix, env: envNameFor(prefix), kind });
}

/** Every environment binding, derived from the schema (so none can be forgotten). */
export const ENV_BINDINGS: readonly EnvBinding[] = (() => {
  const out: EnvBinding[] = [];
  collect(configSchema, "", out);
  return out;
})();

function coerce(kind: LeafKind, raw: string): unknown {
  switch (kind) {
    case "number":
      return /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw.trim()) : raw;
    case "boolean": {
      const v = raw.trim().toLowerCase();
      if (["true", "1", "yes", "on"].includes(v)) return true;
      if (["false", "0", "no", "off"].includes(v)) return false;
      return raw;
    }
    case "array":
      return raw
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "");
    case "string":
      return raw;
  }
}

/**
 * Overlays environment variables onto the raw YAML object, in place, and
 * records for every key that the environment set which variable set it (for
 * error messages). Empty variables count as unset.
 */
export function overlayEnv(
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  sources: Map<string, string>,
): void {
  for (const b of ENV_BINDINGS) {
    const value = env[b.env];
    if (value === undefined || value === "") continue;
    const parts = b.key.split(".");
    let node = raw;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      if (typeof next !== "object" || next === null || Array.isArray(next)) node[part] = {};
      node = node[part] as Record<string, unknown>;
    }
    node[parts[parts.length - 1] as string] = coerce(b.kind, value);
    sources.set(b.key, b.env);
  }
}
