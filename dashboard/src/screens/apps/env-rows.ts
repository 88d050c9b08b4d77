/**
 * The env vars editor's rows, checked the way the API checks them
 * (src/web/app-env.ts) so a mistake is shown beside its row before sending.
 * Values stay in the browser only until they are sent: the API never
 * returns them.
 */

export const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
export const MAX_ENV_VALUE_BYTES = 32 * 1024;

export interface EnvRow {
  /** Stable React key; not sent. */
  key: number;
  name: string;
  value: string;
}

export type EnvCheck =
  | { ok: true; env: Record<string, string> }
  | { ok: false; problems: Map<number, string> };

/** Why the API would refuse this variable name, or undefined. */
export function envNameProblem(name: string): string | undefined {
  if (name === "") return "give the variable a name";
  if (!ENV_NAME_RE.test(name)) {
    return "names start with a letter or '_' and hold only A-Z, a-z, 0-9 and '_' (at most 128)";
  }
  return undefined;
}

/** Why the API would refuse this value, or undefined. */
export function envValueProblem(value: string): string | undefined {
  if (new TextEncoder().encode(value).length > MAX_ENV_VALUE_BYTES) return "the value is larger than 32 KiB";
  if (value.includes("\0")) return "the value must not contain NUL characters";
  return undefined;
}

/**
 * The `{NAME: value}` map of the rows, or the problem of each bad row (by
 * row key). A row with neither name nor value is ignored (an unused blank
 * row); a name given twice is a problem on its second row.
 */
export function checkEnvRows(rows: readonly EnvRow[]): EnvCheck {
  const env = new Map<string, string>();
  const problems = new Map<number, string>();
  for (const row of rows) {
    const name = row.name.trim();
    if (name === "" && row.value === "") continue;
    const problem =
      envNameProblem(name) ??
      (env.has(name) ? `${name} is already set above` : undefined) ??
      envValueProblem(row.value);
    if (problem) problems.set(row.key, problem);
    else env.set(name, row.value);
  }
  if (problems.size > 0) return { ok: false, problems };
  return { ok: true, env: Object.fromEntries(env) };
}

/**
 * A `NAME=value` typed or pasted into a name input, split at its first '='
 * (the value may hold more); undefined when there is no '='.
 */
export function splitAssignment(text: string): { name: string; value: string } | undefined {
  const i = text.indexOf("=");
  if (i < 0) return undefined;
  return { name: text.slice(0, i).trim(), value: text.slice(i + 1) };
}
