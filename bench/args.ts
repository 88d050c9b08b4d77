/**
 * Command-line flags of `npm run bench -- <name> [--flag value ...]`. Every
 * flag takes a value, written `--flag value` or `--flag=value`; a benchmark
 * states which flags it accepts, and anything else is a usage error.
 */

export class UsageError extends Error {}

export interface BenchArgs {
  name: string | undefined;
  flags: Map<string, string>;
}

export function parseArgs(argv: readonly string[]): BenchArgs {
  const flags = new Map<string, string>();
  let name: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (!arg.startsWith("--")) {
      if (name !== undefined) throw new UsageError(`unexpected argument "${arg}"`);
      name = arg;
      continue;
    }
    const eq = arg.indexOf("=");
    const key = arg.slice(2, eq === -1 ? undefined : eq);
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else value = argv[++i];
    if (!key || value === undefined) throw new UsageError(`flag ${arg} needs a value`);
    flags.set(key, value);
  }
  return { name, flags };
}

/** Throws a UsageError naming the first flag not in `known`. */
export function checkFlags(flags: Map<string, string>, known: readonly string[]): void {
  for (const key of flags.keys()) {
    if (!known.includes(key)) throw new UsageError(`unknown flag --${key}`);
  }
}

/** A positive integer flag (underscores allowed: `200_000`), or `fallback` when absent. */
export function intFlag(flags: Map<string, string>, key: string, fallback: number): number {
  const raw = flags.get(key);
  if (raw === undefined) return fallback;
  const value = Number(raw.replaceAll("_", ""));
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new UsageError(`--${key} must be a positive integer, got "${raw}"`);
  }
  return value;
}
