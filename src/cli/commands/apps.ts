import { seg } from "../api-client.js";
import { CliError, UsageError } from "../cli-errors.js";
import { authedApi, intOption, parseCommand, positionals, printJson, safe } from "../context.js";
import type { CliIO } from "../context.js";
import { canPrompt, confirmTyped } from "../prompt.js";
import { formatTime, printList, renderFields, renderTable, type Column } from "../table.js";

export const APPS_USAGE = `usage: wisehosting apps <command> [--server URL] [--json]

commands:
  list                          your apps
  create NAME [--slug S] [--cpu MILLICORES] [--memory MB] [--zone Z]
  info APP                      settings, environment variable names, recent deployments
  delete APP [--yes]            stops and deletes the app (asks to type its slug unless --yes)
  env set APP KEY=VALUE...      set variables (applied at the next deployment)
  env unset APP KEY...          remove variables
  env list APP                  variable names (values are never shown again)
  restart|stop|start APP
`;

export interface App {
  name: string;
  slug: string;
  status: string;
  url: string;
  cpu_millicores: number;
  memory_mb: number;
  zone: string | null;
  worker: { id: number; name: string } | null;
  current_deployment_id: number | null;
  env_names: string[];
  created_at: string;
}

export interface Deployment {
  id: number;
  app: string;
  status: string;
  source_kind: string;
  image: string | null;
  commit_sha: string | null;
  commit_message: string | null;
  error: string | null;
  worker: string | null;
  created_at: string;
  finished_at: string | null;
}

export const APP_COLUMNS: Column<App>[] = [
  { header: "SLUG", value: (a) => a.slug },
  { header: "NAME", value: (a) => a.name },
  { header: "STATUS", value: (a) => a.status },
  { header: "CPU", value: (a) => `${a.cpu_millicores}m`, right: true },
  { header: "MEMORY", value: (a) => `${a.memory_mb} MB`, right: true },
  { header: "WORKER", value: (a) => a.worker?.name },
  { header: "URL", value: (a) => a.url },
];

export const DEPLOYMENT_COLUMNS: Column<Deployment>[] = [
  { header: "ID", value: (d) => d.id, right: true },
  { header: "STATUS", value: (d) => d.status },
  { header: "SOURCE", value: (d) => (d.source_kind === "image" ? d.image : "archive") },
  {
    header: "COMMIT",
    value: (d) => (d.commit_sha ? `${d.commit_sha.slice(0, 7)} ${d.commit_message ?? ""}` : ""),
  },
  { header: "CREATED", value: (d) => formatTime(d.created_at) },
  { header: "ERROR", value: (d) => d.error },
];

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** `KEY=VALUE` arguments as a map (split at the first `=`; the value may hold more). */
export function parseAssignments(args: string[], usage: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const a of args) {
    const i = a.indexOf("=");
    const key = i < 0 ? a : a.slice(0, i);
    if (i < 0 || !ENV_NAME.test(key)) {
      throw new UsageError(`"${key}": expected KEY=VALUE with KEY like DATABASE_URL`, usage);
    }
    env[key] = a.slice(i + 1);
  }
  return env;
}

/** `wisehosting apps ...`: one API call per command; `--json` prints the API's body. */
export async function runApps(args: string[], io: CliIO): Promise<void> {
  const { values, positionals: pos } = parseCommand(
    args,
    {
      slug: { type: "string" },
      cpu: { type: "string" },
      memory: { type: "string" },
      zone: { type: "string" },
      yes: { type: "boolean", short: "y" },
    },
    APPS_USAGE,
  );
  if (values.help || pos.length === 0) return void io.stdout.write(APPS_USAGE);
  const [sub, ...rest] = pos;
  const api = await authedApi(io, values.server);
  switch (sub) {
    case "list": {
      positionals(rest, [], APPS_USAGE);
      const body = await api.get<{ apps: App[] }>("/apps");
      return printList(
        io,
        values.json,
        body,
        APP_COLUMNS,
        body.apps,
        "no apps yet: `wisehosting apps create NAME`",
      );
    }
    case "create": {
      const [name] = positionals(rest, ["name"], APPS_USAGE);
      const body = await api.post<{ app: App }>("/apps", {
        name,
        ...(values.slug ? { slug: values.slug } : {}),
        ...(values.cpu ? { cpu_millicores: intOption(values.cpu, "cpu", APPS_USAGE) } : {}),
        ...(values.memory ? { memory_mb: intOption(values.memory, "memory", APPS_USAGE) } : {}),
        ...(values.zone ? { zone: values.zone } : {}),
      });
      if (values.json) return printJson(io, body);
      io.stdout.write(
        `created app ${safe(body.app.slug)}: deploy with \`wisehosting deploy --app ${safe(body.app.slug)}\`\n`,
      );
      return;
    }
    case "info": {
      const [slug] = positionals(rest, ["app"], APPS_USAGE);
      const { app } = await api.get<{ app: App }>(`/apps/${seg(slug!)}`);
      const deps = await api.get<{ deployments: Deployment[] }>(`/apps/${seg(slug!)}/deployments`);
      if (values.json) return printJson(io, { app, deployments: deps.deployments });
      io.stdout.write(
        renderFields([
          ["name", app.name],
          ["slug", app.slug],
          ["status", app.status],
          ["url", app.url],
          ["cpu", `${app.cpu_millicores} millicores`],
          ["memory", `${app.memory_mb} MB`],
          ["zone", app.zone],
          ["worker", app.worker?.name],
          ["deployment", app.current_deployment_id],
          ["env", app.env_names.join(", ")],
          ["created", formatTime(app.created_at)],
        ]),
      );
      if (deps.deployments.length > 0) {
        io.stdout.write(`\n${renderTable(DEPLOYMENT_COLUMNS, deps.deployments.slice(0, 10))}`);
      }
      return;
    }
    case "delete": {
      const [slug] = positionals(rest, ["app"], APPS_USAGE);
      if (!values.yes) {
        if (!canPrompt(io))
          throw new UsageError("not a terminal: pass --yes to delete without asking", APPS_USAGE);
        const ok = await confirmTyped(io, `This stops ${slug} and deletes it with its domains.`, slug!);
        if (!ok) throw new CliError("not deleted");
      }
      const body = await api.delete<{ app: App }>(`/apps/${seg(slug!)}`);
      if (values.json) return printJson(io, body);
      io.stdout.write(`deleting ${safe(body.app.slug)} (status ${safe(body.app.status)})\n`);
      return;
    }
    case "env":
      return runEnv(rest, io, api, values.json);
    case "restart":
    case "stop":
    case "start": {
      const [slug] = positionals(rest, ["app"], APPS_USAGE);
      const body = await api.post<{ job_id: number }>(`/apps/${seg(slug!)}/${sub}`);
      if (values.json) return printJson(io, body);
      io.stdout.write(`${sub} of ${safe(slug)} queued (job ${body.job_id})\n`);
      return;
    }
    default:
      throw new UsageError(`unknown apps command "${sub}"`, APPS_USAGE);
  }
}

async function runEnv(
  args: string[],
  io: CliIO,
  api: Awaited<ReturnType<typeof authedApi>>,
  json: boolean | undefined,
): Promise<void> {
  const [op, slug, ...items] = args;
  if (!slug || (op !== "list" && items.length === 0))
    throw new UsageError("env needs APP and KEY=VALUE or KEY", APPS_USAGE);
  let body: { app: App };
  if (op === "set") {
    body = await api.patch(`/apps/${seg(slug)}`, { env: parseAssignments(items, APPS_USAGE) });
  } else if (op === "unset") {
    for (const k of items)
      if (!ENV_NAME.test(k)) throw new UsageError(`"${k}" is not a variable name`, APPS_USAGE);
    body = await api.patch(`/apps/${seg(slug)}`, { env: Object.fromEntries(items.map((k) => [k, null])) });
  } else if (op === "list") {
    positionals(items, [], APPS_USAGE);
    body = await api.get(`/apps/${seg(slug)}`);
    if (json) return printJson(io, { env_names: body.app.env_names });
    if (body.app.env_names.length === 0) return void io.stderr.write("no variables set\n");
    return void io.stdout.write(body.app.env_names.map((n) => `${safe(n)}\n`).join(""));
  } else {
    throw new UsageError(`unknown env command "${op}"`, APPS_USAGE);
  }
  if (json) return printJson(io, body);
  const names = body.app.env_names.map(safe).join(", ") || "none";
  io.stdout.write(`${op === "set" ? "set" : "removed"} ${items.length} variable(s); now: ${names}\n`);
  io.stderr.write("changes apply at the next deployment (`wisehosting deploy`)\n");
}
