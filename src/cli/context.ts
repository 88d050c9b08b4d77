import { parseArgs, type ParseArgsConfig } from "node:util";
import { CliApi } from "./api-client.js";
import { CliError, UsageError } from "./cli-errors.js";
import { DEFAULT_SERVER, loadCredentials, normaliseServer } from "./credentials.js";
import { stripANSI } from "../api/log-sanitize.js";

/**
 * What every user command shares: the process streams (injectable for
 * tests), option parsing that turns bad
 * flags into usage errors, and the resolution of server and token.
 */

export interface Writable {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface CliIO {
  stdout: Writable;
  stderr: Writable;
  stdin: NodeJS.ReadStream;
  env: NodeJS.ProcessEnv;
}

export function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}

/** Options every user command accepts. */
export const COMMON_OPTIONS = {
  server: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

type Options = NonNullable<ParseArgsConfig["options"]>;
type Config<O extends Options> = {
  args: string[];
  options: O & typeof COMMON_OPTIONS;
  allowPositionals: true;
  strict: true;
};
export type Parsed<O extends Options> = ReturnType<typeof parseArgs<Config<O>>>;

/** Strict parsing of `args` with `options` plus {@link COMMON_OPTIONS}; a parse error is a UsageError. */
export function parseCommand<O extends Options>(args: string[], options: O, usage: string): Parsed<O> {
  try {
    return parseArgs<Config<O>>({
      args,
      options: { ...options, ...COMMON_OPTIONS },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    if (err instanceof TypeError && (err as NodeJS.ErrnoException).code?.startsWith("ERR_PARSE_ARGS")) {
      throw new UsageError(err.message, usage);
    }
    throw err;
  }
}

/** Exactly `n` positionals (named in `names` for the message), or a UsageError. */
export function positionals(got: string[], names: string[], usage: string, atLeast = false): string[] {
  if (got.length < names.length || (!atLeast && got.length > names.length)) {
    const want = names.map((n) => n.toUpperCase()).join(" ");
    throw new UsageError(
      got.length < names.length ? `missing ${want}` : `unexpected argument "${got[names.length]}"`,
      usage,
    );
  }
  return got;
}

/** A positive integer option, or a UsageError naming it. */
export function intOption(value: string | undefined, name: string, usage: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value))
    throw new UsageError(`--${name} must be a whole number, not "${value}"`, usage);
  return Number(value);
}

/** Server-provided text made safe to print on one terminal line. */
export function safe(text: string | number | null | undefined): string {
  return stripANSI(text === null || text === undefined ? "" : String(text));
}

export function printJson(io: CliIO, body: unknown): void {
  io.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
}

export interface Session {
  server: string;
  token: string;
  /** Where the token came from, for messages. */
  source: "env" | "file";
  email: string | null;
}

/**
 * The server: `--server`, else WISEHOSTING_SERVER, else the credentials
 * file's, else (only when `fallback`) the local default. Always normalised.
 */
export async function resolveServer(io: CliIO, flag: string | undefined, fallback = false): Promise<string> {
  const explicit = flag ?? io.env.WISEHOSTING_SERVER;
  if (explicit) return normaliseServer(explicit);
  const creds = await loadCredentials(io.env);
  if (creds) return creds.server;
  if (fallback) return DEFAULT_SERVER;
  throw new CliError("no server: pass --server URL or set WISEHOSTING_SERVER, or run `wisehosting login`");
}

/**
 * Server and token for an authenticated command. WISEHOSTING_TOKEN wins over
 * the file. The file's token is only ever sent to the server it was issued
 * by: pointing --server elsewhere without a token is "not logged in", never
 * a leak of the stored token to another host.
 */
export async function resolveSession(io: CliIO, serverFlag: string | undefined): Promise<Session> {
  const creds = await loadCredentials(io.env);
  const explicit = serverFlag ?? io.env.WISEHOSTING_SERVER;
  const server = explicit ? normaliseServer(explicit) : creds?.server;
  if (!server) throw new CliError("not logged in: run `wisehosting login --server URL`");
  const envToken = io.env.WISEHOSTING_TOKEN;
  if (envToken) return { server, token: envToken, source: "env", email: null };
  if (creds && creds.server === server) {
    return { server, token: creds.token, source: "file", email: creds.email };
  }
  throw new CliError(`not logged in to ${server}: run \`wisehosting login --server ${server}\``);
}

/** An API client for an authenticated command. */
export async function authedApi(io: CliIO, serverFlag: string | undefined): Promise<CliApi> {
  const s = await resolveSession(io, serverFlag);
  return new CliApi({ server: s.server, token: s.token });
}
