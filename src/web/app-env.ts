import { z } from "zod";
import { appEnvAad } from "../api/job-message.js";
import type { SecretBox } from "../crypto/aes.js";
import { InvalidRequestError } from "../errors.js";

/**
 * An app's environment variables at the API edge. Values are sealed with the
 * app's AAD into apps.env_enc and never leave the server again: responses
 * carry only the names (apps.env_names). A deployment copies env_enc when it
 * is created, so changes apply to the next deployment.
 */

export const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
export const MAX_ENV_VALUE_BYTES = 32 * 1024;
export const MAX_ENV_TOTAL_BYTES = 256 * 1024;
/** A generous bound on the count; the byte limits are what really bound the set. */
export const MAX_ENV_VARS = 1000;

export type Env = Record<string, string>;

/** `{NAME: value}` on creation; names and values are checked by checkEnv (errors name `env.NAME`). */
export const envSchema = z.record(z.string(), z.string());
/** `{NAME: value | null}` on update: null unsets. */
export const envPatchSchema = z.record(z.string(), z.string().nullable());

function checkName(name: string): void {
  if (!ENV_NAME_RE.test(name)) {
    throw new InvalidRequestError(
      `env.${name.slice(0, 140)}: names must start with a letter or '_' and hold only A-Z, a-z, 0-9 and '_' (at most 128)`,
      `env.${name.slice(0, 140)}`,
    );
  }
}

function checkValue(name: string, value: string): void {
  if (Buffer.byteLength(value, "utf8") > MAX_ENV_VALUE_BYTES) {
    throw new InvalidRequestError(`env.${name}: value is larger than 32 KiB`, `env.${name}`);
  }
  // A NUL cannot be passed to a process's environment.
  if (value.includes("\0")) {
    throw new InvalidRequestError(`env.${name}: value must not contain NUL characters`, `env.${name}`);
  }
}

/** Checks the complete set an app would hold: names, each value, the count and the total size. */
export function checkEnv(env: Env): void {
  const names = Object.keys(env);
  let total = 0;
  for (const name of names) {
    checkName(name);
    const value = env[name] ?? "";
    checkValue(name, value);
    total += Buffer.byteLength(name, "utf8") + Buffer.byteLength(value, "utf8");
  }
  if (names.length > MAX_ENV_VARS) {
    throw new InvalidRequestError(`env: at most ${MAX_ENV_VARS} variables`, "env");
  }
  if (total > MAX_ENV_TOTAL_BYTES) {
    throw new InvalidRequestError("env: all names and values together are larger than 256 KiB", "env");
  }
}

/** Applies a patch (null unsets) to the current set; the result is not yet checked. */
export function applyEnvPatch(current: Env, patch: Record<string, string | null>): Env {
  // A Map, so that no name (not even `__proto__`) can touch a prototype.
  const next = new Map(Object.entries(current));
  for (const [name, value] of Object.entries(patch)) {
    checkName(name);
    if (value === null) next.delete(name);
    else next.set(name, value);
  }
  return Object.fromEntries(next);
}

/** What apps.env_enc and apps.env_names hold for `env` (null and [] when empty); names sorted. */
export function sealEnv(
  secretBox: SecretBox,
  appId: number,
  env: Env,
): { env_enc: string | null; env_names: string[] } {
  const names = Object.keys(env).sort();
  if (names.length === 0) return { env_enc: null, env_names: [] };
  const sorted = Object.fromEntries(names.map((n) => [n, env[n]]));
  return { env_enc: secretBox.seal(JSON.stringify(sorted), appEnvAad(appId)), env_names: names };
}

/** The app's current env, decrypted (for a merge); {} when it has none. */
export function openEnv(secretBox: SecretBox, appId: number, envEnc: string | null): Env {
  if (envEnc === null) return {};
  return JSON.parse(secretBox.openString(envEnc, appEnvAad(appId))) as Env;
}
