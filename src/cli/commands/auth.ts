import { hostname } from "node:os";
import { CliApi } from "../api-client.js";
import { ApiError, CliError, UsageError } from "../cli-errors.js";
import { parseCommand, positionals, printJson, resolveServer, resolveSession, safe } from "../context.js";
import type { CliIO } from "../context.js";
import { deleteCredentials, loadCredentials, saveCredentials } from "../credentials.js";
import { ask, askSecret, canPrompt, readFirstLine } from "../prompt.js";
import { renderFields } from "../table.js";

export const LOGIN_USAGE = `usage: wisehosting login [--server URL] [--email E] [--password-stdin] [--totp CODE]
       wisehosting signup [--server URL] [--email E] [--password-stdin] [--invite TOKEN]

Logs in (signup: creates the account first; the first account on a server
becomes its administrator, later ones need open sign-up or an invite) and
stores an API token for this machine in
$WISEHOSTING_CONFIG_DIR, $XDG_CONFIG_HOME/wisehosting or ~/.config/wisehosting
(credentials.json, mode 0600). The server defaults to WISEHOSTING_SERVER, the
stored one, then http://127.0.0.1:8080. Without --password-stdin the email and
password are asked for on the terminal (the password is not echoed); a TOTP
code is asked for when the account has two-factor authentication.
`;
export const LOGOUT_USAGE = `usage: wisehosting logout [--server URL]

Revokes the stored API token on the server and deletes the credentials file.
`;
export const WHOAMI_USAGE = `usage: wisehosting whoami [--server URL] [--json]
`;

interface MeBody {
  user: { email: string; is_admin: boolean; plan: string; totp_enabled: boolean };
  plan: { name: string; max_apps: number; max_cpu_millicores: number; max_memory_mb: number };
  usage: { apps: number; cpu_millicores: number; memory_mb: number };
}

/** A token name the API accepts (printable ASCII, ≤ 64): "cli@<hostname>". */
export function tokenName(host = hostname()): string {
  const clean = host.replace(/[^\x20-\x7e]/g, "").trim() || "unknown-host";
  return `cli@${clean}`.slice(0, 64);
}

/**
 * `login`: a cookie session is opened only to create the API token, and is
 * logged out again at once, so what stays behind is the token alone. A
 * previous token for the same server is revoked (best effort) so logins do
 * not pile up tokens. The credentials are saved only after the token exists.
 */
export async function runLogin(args: string[], io: CliIO, signup = false): Promise<void> {
  const { values, positionals: pos } = parseCommand(
    args,
    {
      email: { type: "string" },
      "password-stdin": { type: "boolean" },
      totp: { type: "string" },
      invite: { type: "string" },
    },
    LOGIN_USAGE,
  );
  if (values.help) return void io.stdout.write(LOGIN_USAGE);
  positionals(pos, [], LOGIN_USAGE);
  const server = await resolveServer(io, values.server, true);
  const email = values.email ?? (canPrompt(io) ? await ask(io, `email for ${server}: `) : "");
  if (!email) throw new UsageError("--email is required when stdin is not a terminal", LOGIN_USAGE);
  let password: string;
  if (values["password-stdin"]) password = await readFirstLine(io.stdin, "password");
  else if (canPrompt(io)) password = await askSecret(io, "password: ");
  else throw new UsageError("stdin is not a terminal: pass the password with --password-stdin", LOGIN_USAGE);

  const api = new CliApi({ server });
  try {
    if (signup) {
      // The sign-up answers with a session, as a log-in does.
      await api.post("/auth/signup", {
        email,
        password,
        ...(values.invite ? { invite_token: values.invite } : {}),
      });
    } else {
      await api.post("/auth/login", { email, password });
    }
  } catch (err) {
    if (!(err instanceof ApiError && err.code === "totp_required")) throw err;
    let code = values.totp;
    if (!code && canPrompt(io)) code = await ask(io, "two-factor code: ");
    if (!code) throw new CliError("this account has two-factor authentication: pass --totp CODE");
    await api.post("/auth/login", { email, password, totp_code: code });
  }
  const created = await api.post<{ token: string }>("/tokens", { name: tokenName() });
  await api.post("/auth/logout").catch(() => undefined);

  const previous = await loadCredentials(io.env).catch(() => null);
  if (previous && previous.server === server && previous.token !== created.token) {
    await new CliApi({ server, token: previous.token }).post("/auth/logout").catch(() => undefined);
  }
  const file = await saveCredentials(io.env, { server, token: created.token, email });
  io.stderr.write(`logged in to ${server} as ${safe(email)} (token saved in ${file})\n`);
}

/** `signup`: `login` that creates the account first. */
export function runSignup(args: string[], io: CliIO): Promise<void> {
  return runLogin(args, io, true);
}

/** `logout`: the token is revoked first; the file is deleted even when the server is unreachable. */
export async function runLogout(args: string[], io: CliIO): Promise<void> {
  const { values, positionals: pos } = parseCommand(args, {}, LOGOUT_USAGE);
  if (values.help) return void io.stdout.write(LOGOUT_USAGE);
  positionals(pos, [], LOGOUT_USAGE);
  const session = await resolveSession(io, values.server);
  let revokeError: Error | null = null;
  try {
    await new CliApi({ server: session.server, token: session.token }).post("/auth/logout");
  } catch (err) {
    // A token the server no longer knows is as logged out as it gets.
    if (!(err instanceof ApiError && err.status === 401)) revokeError = err as Error;
  }
  const creds = await loadCredentials(io.env).catch(() => null);
  const removed =
    session.source === "file" || creds?.token === session.token ? await deleteCredentials(io.env) : false;
  if (revokeError) {
    throw new CliError(
      `${removed ? "deleted the local credentials, but " : ""}could not revoke the token: ${revokeError.message}`,
    );
  }
  io.stderr.write(
    `logged out of ${session.server}${removed ? "" : " (token from WISEHOSTING_TOKEN revoked)"}\n`,
  );
}

export async function runWhoami(args: string[], io: CliIO): Promise<void> {
  const { values, positionals: pos } = parseCommand(args, {}, WHOAMI_USAGE);
  if (values.help) return void io.stdout.write(WHOAMI_USAGE);
  positionals(pos, [], WHOAMI_USAGE);
  const session = await resolveSession(io, values.server);
  const me = await new CliApi({ server: session.server, token: session.token }).get<MeBody>("/me");
  if (values.json) return printJson(io, me);
  io.stdout.write(
    renderFields([
      ["email", me.user.email],
      ["server", session.server],
      ["admin", me.user.is_admin],
      ["two-factor", me.user.totp_enabled],
      ["plan", me.plan.name],
      ["apps", `${me.usage.apps} of ${me.plan.max_apps}`],
      ["cpu", `${me.usage.cpu_millicores} of ${me.plan.max_cpu_millicores} millicores`],
      ["memory", `${me.usage.memory_mb} of ${me.plan.max_memory_mb} MB`],
    ]),
  );
}
