import { seg } from "../api-client.js";
import { CliError, UsageError } from "../cli-errors.js";
import { authedApi, parseCommand, positionals, printJson, safe, type CliIO } from "../context.js";
import { formatTime, printList, type Column } from "../table.js";

export const WEBHOOKS_USAGE = `usage: wisehosting webhooks <command> [--json] [--server URL]

commands:
  add URL --events a,b   send these events (like deployment.succeeded,alert.fired) to URL;
                         prints the signing secret once
  list                   your webhooks (URLs shown redacted)
  remove ID              delete a webhook
  test ID                send a test event now and report the answer (exit 1 when not delivered)
`;

interface Webhook {
  id: number;
  url: string;
  events: string[];
  enabled: boolean;
  created_at: string;
}

const COLUMNS: Column<Webhook>[] = [
  { header: "ID", value: (w) => w.id, right: true },
  { header: "URL", value: (w) => w.url },
  { header: "EVENTS", value: (w) => w.events.join(",") },
  { header: "ENABLED", value: (w) => w.enabled },
  { header: "CREATED", value: (w) => formatTime(w.created_at) },
];

/** `--events a,b` as a list: trimmed, no empties, no duplicates. */
export function parseEvents(text: string | undefined): string[] {
  const events = [...new Set((text ?? "").split(",").map((e) => e.trim()))].filter(Boolean);
  if (events.length === 0) throw new UsageError("--events needs at least one event name", WEBHOOKS_USAGE);
  return events;
}

function idArg(rest: string[]): string {
  const [id] = positionals(rest, ["id"], WEBHOOKS_USAGE);
  if (!/^\d{1,12}$/.test(id!)) throw new UsageError(`"${id}" is not a webhook id`, WEBHOOKS_USAGE);
  return id!;
}

/** `wisehosting webhooks ...`: add, list, remove, test. */
export async function runWebhooks(args: string[], io: CliIO): Promise<void> {
  const { values, positionals: pos } = parseCommand(args, { events: { type: "string" } }, WEBHOOKS_USAGE);
  if (values.help || pos.length === 0) return void io.stdout.write(WEBHOOKS_USAGE);
  const [sub, ...rest] = pos;
  const api = await authedApi(io, values.server);
  switch (sub) {
    case "add": {
      const [url] = positionals(rest, ["url"], WEBHOOKS_USAGE);
      const body = await api.post<{ webhook: Webhook; secret: string }>("/webhooks", {
        url,
        events: parseEvents(values.events),
      });
      if (values.json) return printJson(io, body);
      io.stdout.write(
        `added webhook ${body.webhook.id} for ${body.webhook.events.map(safe).join(", ")}\n` +
          `signing secret (shown once, keep it to verify signatures): ${safe(body.secret)}\n`,
      );
      return;
    }
    case "list": {
      positionals(rest, [], WEBHOOKS_USAGE);
      const body = await api.get<{ webhooks: Webhook[] }>("/webhooks");
      return printList(
        io,
        values.json,
        body,
        COLUMNS,
        body.webhooks,
        "no webhooks: `wisehosting webhooks add URL --events ...`",
      );
    }
    case "remove": {
      const id = idArg(rest);
      await api.delete(`/webhooks/${seg(id)}`);
      if (values.json) return printJson(io, { removed: Number(id) });
      io.stdout.write(`removed webhook ${id}\n`);
      return;
    }
    case "test": {
      const id = idArg(rest);
      const body = await api.post<{ delivered: boolean; status_code: number | null; error: string | null }>(
        `/webhooks/${seg(id)}/test`,
      );
      if (values.json) printJson(io, body);
      else if (body.delivered) io.stdout.write(`delivered (HTTP ${body.status_code ?? "?"})\n`);
      if (!body.delivered) {
        const status = body.status_code === null ? "" : ` (HTTP ${body.status_code})`;
        throw new CliError(`test event not delivered${status}: ${safe(body.error ?? "no answer")}`);
      }
      return;
    }
    default:
      throw new UsageError(`unknown webhooks command "${sub}"`, WEBHOOKS_USAGE);
  }
}
