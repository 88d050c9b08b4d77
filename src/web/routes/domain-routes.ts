import { randomBytes } from "node:crypto";
import { z } from "zod";
import { isWithinDomain, normalizeHostname } from "../../api/hostname.js";
import {
  deleteCustomDomainOfApp,
  findCustomDomainByHostname,
  findCustomDomainOfApp,
  insertCustomDomain,
  listCustomDomainsByApp,
  markCustomDomainVerified,
  type CustomDomainRow,
} from "../../db/custom-domains.js";
import { AppError, ConflictError, InvalidRequestError, NotFoundError } from "../../errors.js";
import type { UserApiDeps } from "../deps.js";
import { findOwnedApp } from "../owned.js";
import { defineRoute, type UserRoute } from "../route.js";
import { iso, isoDate, slugSchema } from "../schemas.js";

/**
 * Custom domains: a user adds a hostname to an app, proves control of it
 * with a TXT record `_wisehosting-challenge.<hostname>` holding the token we
 * generated, and from then on the proxy routes it to the app (running apps'
 * verified domains; src/api/traefik.ts). Hostnames pass normalizeHostname
 * (the same check the renderer applies) and may not lie within
 * proxy.base_domain, whose names are the platform's own.
 */

export const CHALLENGE_PREFIX = "_wisehosting-challenge.";

const domainSchema = z.object({
  hostname: z.string(),
  verified: z.boolean(),
  verified_at: isoDate.nullable(),
  created_at: isoDate,
  txt_record: z.object({ name: z.string(), value: z.string() }),
});
const domainResponse = z.object({ domain: domainSchema });

/** The raw hostname; normalizeHostname checks it (a 400 naming `hostname`). */
const hostnameInput = z.string().max(300);
const domainParams = z.object({ slug: slugSchema, hostname: hostnameInput });

function domainDto(d: CustomDomainRow): z.infer<typeof domainSchema> {
  return {
    hostname: d.hostname,
    verified: d.verified_at !== null,
    verified_at: iso(d.verified_at),
    created_at: iso(d.created_at),
    txt_record: { name: CHALLENGE_PREFIX + d.hostname, value: d.verification_token },
  };
}

/** Thrown when the TXT record is missing or wrong (409). */
export class DomainUnverifiedError extends AppError {
  constructor(message: string) {
    super("domain_unverified", message);
  }
}

/** The most of what DNS returned that an error message repeats (it is not ours: bounded, printable). */
const SHOWN_RECORDS = 3;
const SHOWN_CHARS = 80;

function quoteFound(value: string): string {
  const printable = value.replace(/[^\x20-\x7e]/g, "?");
  const cut = printable.length > SHOWN_CHARS ? `${printable.slice(0, SHOWN_CHARS)}…` : printable;
  return JSON.stringify(cut);
}

/**
 * Looks the challenge record up and throws DomainUnverifiedError unless one
 * of its TXT records (each record's strings joined, as DNS defines a
 * multi-string record) is exactly `token`.
 */
export async function checkChallenge(deps: UserApiDeps, hostname: string, token: string): Promise<void> {
  const name = CHALLENGE_PREFIX + hostname;
  let records: string[][];
  try {
    records = await deps.resolveTxt(name);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === "ENOTFOUND" || code === "ENODATA") {
      throw new DomainUnverifiedError(`no TXT record at ${name}: create it with the value ${token}`);
    }
    deps.log.warn({ code, hostname }, "TXT lookup failed");
    const why = typeof code === "string" && /^[A-Z_]{1,32}$/.test(code) ? ` (${code})` : "";
    throw new DomainUnverifiedError(`the DNS lookup of ${name} failed${why}: try again later`);
  }
  const values = records.map((strings) => strings.join(""));
  if (values.includes(token)) return;
  if (values.length === 0) {
    throw new DomainUnverifiedError(`no TXT record at ${name}: create it with the value ${token}`);
  }
  const shown = values.slice(0, SHOWN_RECORDS).map(quoteFound).join(", ");
  const more = values.length > SHOWN_RECORDS ? ` and ${values.length - SHOWN_RECORDS} more` : "";
  throw new DomainUnverifiedError(`found TXT ${shown}${more} at ${name} but expected ${token}`);
}

export function domainRoutes(deps: UserApiDeps): UserRoute[] {
  const { db } = deps;
  const baseDomain = deps.config.proxy.base_domain.replace(/\.$/, "");

  async function ownedDomain(userId: number, slug: string, rawHostname: string) {
    const app = await findOwnedApp(db, userId, slug);
    const hostname = normalizeHostname(rawHostname);
    const domain = await findCustomDomainOfApp(db, app.id, hostname);
    if (!domain) throw new NotFoundError(`domain ${hostname} not found on app ${slug}`);
    return { app, domain };
  }

  return [
    defineRoute({
      method: "POST",
      url: "/apps/:slug/domains",
      access: "user",
      summary: "Add a custom domain; create the returned TXT record, then verify",
      tags: ["domains"],
      status: 201,
      schema: {
        params: z.object({ slug: slugSchema }),
        body: z.object({ hostname: hostnameInput }),
        response: { 201: domainResponse },
      },
      handler: async ({ principal, params, body }) => {
        const app = await findOwnedApp(db, principal.user.id, params.slug);
        const hostname = normalizeHostname(body.hostname);
        if (isWithinDomain(hostname, baseDomain)) {
          throw new InvalidRequestError(
            `hostname: names within ${baseDomain} are the platform's own; apps get ${params.slug}.${baseDomain}`,
            "hostname",
          );
        }
        const existing = await findCustomDomainByHostname(db, hostname);
        if (existing?.app_id === app.id) {
          throw new ConflictError("domain_exists", `${hostname} is already a domain of this app`);
        }
        // Whose it is stays unsaid: the owner may be another user.
        const taken = new ConflictError("hostname_taken", `${hostname} is already in use by another app`);
        if (existing) throw taken;
        try {
          const row = await insertCustomDomain(db, {
            app_id: app.id,
            hostname,
            verification_token: randomBytes(32).toString("hex"),
          });
          return { domain: domainDto(row) };
        } catch (err) {
          // A concurrent claim of the same hostname won the unique key.
          if ((err as { code?: unknown }).code === "23505") throw taken;
          throw err;
        }
      },
    }),
    defineRoute({
      method: "GET",
      url: "/apps/:slug/domains",
      access: "user",
      summary: "The app's custom domains, by hostname",
      tags: ["domains"],
      schema: {
        params: z.object({ slug: slugSchema }),
        response: { 200: z.object({ domains: z.array(domainSchema) }) },
      },
      handler: async ({ principal, params }) => {
        const app = await findOwnedApp(db, principal.user.id, params.slug);
        const rows = await listCustomDomainsByApp(db, app.id);
        return { domains: rows.map(domainDto) };
      },
    }),
    defineRoute({
      method: "POST",
      url: "/apps/:slug/domains/:hostname/verify",
      access: "user",
      summary:
        "Check the domain's TXT record and mark it verified (409 domain_unverified says what DNS holds)",
      tags: ["domains"],
      schema: { params: domainParams, response: { 200: domainResponse } },
      handler: async ({ principal, params }) => {
        const { domain } = await ownedDomain(principal.user.id, params.slug, params.hostname);
        if (domain.verified_at !== null) return { domain: domainDto(domain) };
        await checkChallenge(deps, domain.hostname, domain.verification_token);
        const row = await markCustomDomainVerified(db, domain.id, deps.now());
        if (!row) throw new NotFoundError(`domain ${domain.hostname} not found`);
        deps.onRoutesChanged();
        return { domain: domainDto(row) };
      },
    }),
    defineRoute({
      method: "DELETE",
      url: "/apps/:slug/domains/:hostname",
      access: "user",
      summary: "Remove a custom domain from the app (the proxy stops routing it)",
      tags: ["domains"],
      status: 204,
      schema: { params: domainParams },
      handler: async ({ principal, params }) => {
        const app = await findOwnedApp(db, principal.user.id, params.slug);
        const hostname = normalizeHostname(params.hostname);
        const deleted = await deleteCustomDomainOfApp(db, app.id, hostname);
        if (!deleted) throw new NotFoundError(`domain ${hostname} not found on app ${params.slug}`);
        if (deleted.verified_at !== null) deps.onRoutesChanged();
      },
    }),
  ];
}
