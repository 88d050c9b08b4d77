/**
 * The command an operator runs on a new machine to make it a worker, as
 * `wisehosting agent` (src/cli/agent-command.ts) parses it: --server is the
 * control plane's http(s) URL, --join-token the single-use token, and the
 * optional --name and --zone (the agent defaults to the host name and the
 * default zone).
 */

export interface AgentCommandInput {
  /** The control plane as this page reaches it (location.origin). */
  server: string;
  token: string;
  name?: string;
  zone?: string;
}

/** What the agent accepts as a worker name and zone (src/api/worker-registration.ts). */
export const WORKER_NAME_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Quotes one argument for a POSIX shell unless it is made only of safe characters. */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The exact command line, each argument quoted for a POSIX shell where it needs it. */
export function agentCommand({ server, token, name, zone }: AgentCommandInput): string {
  const args = ["wisehosting", "agent", "--server", server, "--join-token", token];
  if (name) args.push("--name", name);
  if (zone) args.push("--zone", zone);
  return args.map(shellQuote).join(" ");
}
