import { seg } from "../api-client.js";
import { UsageError } from "../cli-errors.js";
import { authedApi, parseCommand, positionals, printJson, safe, type CliIO } from "../context.js";
import { formatTime, printList, type Column } from "../table.js";

export const DOMAINS_USAGE = `usage: wisehosting domains <command> [--json] [--server URL]

commands:
  add APP HOSTNAME       attach a custom domain; prints the TXT record that proves you own it
  verify APP HOSTNAME    checks the TXT record and, when it is right, routes the domain to the app
  list APP               the app's domains
  remove APP HOSTNAME    detach a domain
`;

export interface Domain {
  hostname: string;
  verified: boolean;
  verified_at: string | null;
  created_at: string;
  txt_record: { name: string; value: string };
}

const COLUMNS: Column<Domain>[] = [
  { header: "HOSTNAME", value: (d) => d.hostname },
  { header: "VERIFIED", value: (d) => d.verified },
  { header: "VERIFIED AT", value: (d) => formatTime(d.verified_at) },
  { header: "TXT RECORD", value: (d) => (d.verified ? "" : d.txt_record.name) },
  { header: "TXT VALUE", value: (d) => (d.verified ? "" : d.txt_record.value) },
];

/** What to tell the user after `domains add`: the record, and the next command. Pure, for tests. */
export function txtInstructions(slug: string, d: Domain): string {
  return (
    `added ${safe(d.hostname)} to ${safe(slug)}. To prove you own it, create this DNS record:\n\n` +
    `  type:   TXT\n  name:   ${safe(d.txt_record.name)}\n  value:  ${safe(d.txt_record.value)}\n\n` +
    `then run: wisehosting domains verify ${safe(slug)} ${safe(d.hostname)}\n` +
    `and point ${safe(d.hostname)} at the platform (CNAME to the app's hostname, or A records).\n`
  );
}

/** `wisehosting domains ...`: add, verify, list, remove; `--json` prints the API's body. */
export async function runDomains(args: string[], io: CliIO): Promise<void> {
  const { values, positionals: pos } = parseCommand(args, {}, DOMAINS_USAGE);
  if (values.help || pos.length === 0) return void io.stdout.write(DOMAINS_USAGE);
  const [sub, ...rest] = pos;
  const api = await authedApi(io, values.server);
  switch (sub) {
    case "add": {
      const [slug, host] = positionals(rest, ["app", "hostname"], DOMAINS_USAGE);
      const body = await api.post<{ domain: Domain }>(`/apps/${seg(slug!)}/domains`, {
        hostname: host!.toLowerCase(),
      });
      if (values.json) return printJson(io, body);
      io.stdout.write(txtInstructions(slug!, body.domain));
      return;
    }
    case "verify": {
      const [slug, host] = positionals(rest, ["app", "hostname"], DOMAINS_USAGE);
      const body = await api.post<{ domain: Domain }>(
        `/apps/${seg(slug!)}/domains/${seg(host!.toLowerCase())}/verify`,
      );
      if (values.json) return printJson(io, body);
      io.stdout.write(`${safe(body.domain.hostname)} is verified and routed to ${safe(slug)}\n`);
      return;
    }
    case "list": {
      const [slug] = positionals(rest, ["app"], DOMAINS_USAGE);
      const body = await api.get<{ domains: Domain[] }>(`/apps/${seg(slug!)}/domains`);
      return printList(
        io,
        values.json,
        body,
        COLUMNS,
        body.domains,
        `no domains: \`wisehosting domains add ${safe(slug)} HOSTNAME\``,
      );
    }
    case "remove": {
      const [slug, host] = positionals(rest, ["app", "hostname"], DOMAINS_USAGE);
      await api.delete(`/apps/${seg(slug!)}/domains/${seg(host!.toLowerCase())}`);
      if (values.json) return printJson(io, { removed: host!.toLowerCase() });
      io.stdout.write(`removed ${safe(host!.toLowerCase())} from ${safe(slug)}\n`);
      return;
    }
    default:
      throw new UsageError(`unknown domains command "${sub}"`, DOMAINS_USAGE);
  }
}
