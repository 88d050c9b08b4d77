import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import { CliError } from "./cli-errors.js";

/**
 * The CLI's stored login: `credentials.json` in the config directory, which
 * is `$WISEHOSTING_CONFIG_DIR`, else `$XDG_CONFIG_HOME/wisehosting`, else
 * `~/.config/wisehosting`. The directory is 0700 and the file 0600, both
 * enforced on every save (an existing, looser directory is tightened). A
 * save is atomic: the file is written beside its final name, then renamed,
 * so a crash never leaves half a token behind.
 */

/** Where `npm start` serves the control plane; login's default server. */
export const DEFAULT_SERVER = "http://127.0.0.1:8080";
export const CREDENTIALS_FILE = "credentials.json";

export interface Credentials {
  server: string;
  token: string;
  email: string;
}

export function configDir(env: NodeJS.ProcessEnv): string {
  if (env.WISEHOSTING_CONFIG_DIR) return path.resolve(env.WISEHOSTING_CONFIG_DIR);
  const base = env.XDG_CONFIG_HOME ? path.resolve(env.XDG_CONFIG_HOME) : path.join(homedir(), ".config");
  return path.join(base, "wisehosting");
}

export function credentialsPath(env: NodeJS.ProcessEnv): string {
  return path.join(configDir(env), CREDENTIALS_FILE);
}

/**
 * A server URL reduced to its origin plus any path prefix, without a
 * trailing slash; only http and https. Throws a CliError naming the value
 * when it is not a URL.
 */
export function normaliseServer(raw: string): string {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    throw new CliError(`"${raw}" is not a server URL (like https://paas.example.com)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new CliError(`server URL must be http or https, not ${url.protocol}`);
  }
  if (url.username || url.password) throw new CliError("server URL must not contain a user name or password");
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

function isCredentials(v: unknown): v is Credentials {
  const o = v as Record<string, unknown> | null;
  return (
    typeof o === "object" &&
    o !== null &&
    typeof o.server === "string" &&
    typeof o.token === "string" &&
    typeof o.email === "string"
  );
}

/** The stored credentials, or null when there are none. A corrupt file is an error naming it. */
export async function loadCredentials(env: NodeJS.ProcessEnv): Promise<Credentials | null> {
  const file = credentialsPath(env);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  if (!isCredentials(parsed)) {
    throw new CliError(`${file} is not a credentials file: remove it and run \`wisehosting login\``);
  }
  return { server: parsed.server, token: parsed.token, email: parsed.email };
}

/** Writes the credentials (0600, in a 0700 directory) and returns the file's path. */
export async function saveCredentials(env: NodeJS.ProcessEnv, creds: Credentials): Promise<string> {
  const dir = configDir(env);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (((await stat(dir)).mode & 0o077) !== 0) await chmod(dir, 0o700);
  const file = path.join(dir, CREDENTIALS_FILE);
  const tmp = path.join(dir, `.${CREDENTIALS_FILE}.${randomBytes(6).toString("hex")}`);
  // O_EXCL with 0600 from the first byte: the token is never readable by others, even briefly.
  const fh = await open(tmp, "wx", 0o600);
  try {
    await fh.writeFile(`${JSON.stringify(creds, null, 2)}\n`);
    await fh.chmod(0o600);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return file;
}

/** Removes the stored credentials; true when there was a file. */
export async function deleteCredentials(env: NodeJS.ProcessEnv): Promise<boolean> {
  const file = credentialsPath(env);
  try {
    await rm(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}
