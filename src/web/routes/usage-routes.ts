import { z } from "zod";
import type { LiveAppStats } from "../../api/stats-store.js";
import { listAppSlugsByUser } from "../../db/apps.js";
import { listUsageSamplesInRange, type UsageSampleRow } from "../../db/usage-samples.js";
import { InvalidRequestError } from "../../errors.js";
import { BUCKET_MS, bucketStart } from "../../usage/accumulator.js";
import type { UserApiDeps } from "../deps.js";
import { findOwnedApp } from "../owned.js";
import { defineRoute, type UserRoute } from "../route.js";
import { iso, isoDate, slugParams } from "../schemas.js";

/**
 * An app's resource usage: history from usage_samples (5-minute buckets
 * written by src/usage/recorder.ts) and the live snapshot its worker last
 * reported (held for 45 s by this replica's hub).
 */

const DAY_MS = 86_400_000;
/** Range when `from` is not given. */
export const DEFAULT_RANGE_MS = DAY_MS;
/** Widest range served: 90 days of buckets is 25,920 rows. */
export const MAX_RANGE_MS = 90 * DAY_MS;

const bucketSchema = z.object({
  start: isoDate,
  cpu_pct_avg: z.number(),
  cpu_pct_max: z.number(),
  mem_bytes_avg: z.number(),
  mem_bytes_max: z.number(),
  net_mbps_avg: z.number(),
  net_mbps_max: z.number(),
  net_bytes: z.number().describe("Bytes sent and received during the bucket"),
});

const statsSchema = z.object({
  cpu_pct: z.number(),
  mem_bytes: z.number(),
  mem_limit: z.number(),
  net_mbps: z.number(),
  net_total_bytes: z.number(),
  disk_mbps: z.number(),
  updated_at: isoDate,
});

function statsDto(s: LiveAppStats): z.infer<typeof statsSchema> {
  return {
    cpu_pct: s.cpuPct,
    mem_bytes: s.memBytes,
    mem_limit: s.memLimit,
    net_mbps: s.netMbps,
    net_total_bytes: s.netTotalBytes,
    disk_mbps: s.diskMbps,
    updated_at: iso(s.updatedAt),
  };
}

const timestamp = z.iso
  .datetime({ offset: true, message: "must be an RFC 3339 timestamp, e.g. 2025-01-31T12:00:00Z" })
  .transform((s) => new Date(s));

const usageQuery = z.object({ from: timestamp.optional(), to: timestamp.optional() });

function bucketDto(r: UsageSampleRow): z.infer<typeof bucketSchema> {
  return {
    start: iso(r.bucket_start),
    cpu_pct_avg: r.cpu_pct_avg,
    cpu_pct_max: r.cpu_pct_max,
    mem_bytes_avg: r.mem_bytes_avg,
    mem_bytes_max: r.mem_bytes_max,
    net_mbps_avg: r.net_mbps_avg,
    net_mbps_max: r.net_mbps_max,
    net_bytes: r.net_bytes_delta,
  };
}

/**
 * The range asked for: `to` defaults to now and may not be later; `from`
 * defaults to a day before `to`, must be earlier than `to`, and at most 90
 * days earlier. Errors name the field.
 */
export function usageRange(q: { from?: Date; to?: Date }, now: Date): { from: Date; to: Date } {
  const to = q.to ?? now;
  if (to.getTime() > now.getTime()) throw new InvalidRequestError("to: must not be in the future", "to");
  const from = q.from ?? new Date(to.getTime() - DEFAULT_RANGE_MS);
  if (from.getTime() >= to.getTime()) throw new InvalidRequestError("from: must be earlier than to", "from");
  if (to.getTime() - from.getTime() > MAX_RANGE_MS) {
    throw new InvalidRequestError("from: the range from..to may span at most 90 days", "from");
  }
  return { from, to };
}

export function usageRoutes(deps: UserApiDeps): UserRoute[] {
  const { db } = deps;
  return [
    defineRoute({
      method: "GET",
      url: "/apps/:slug/usage",
      access: "user",
      summary:
        "The app's usage in 5-minute buckets overlapping from..to (RFC 3339; default the last 24 hours, at most 90 days)",
      tags: ["usage"],
      schema: {
        params: slugParams,
        querystring: usageQuery,
        response: {
          200: z.object({ bucket_seconds: z.number().int(), buckets: z.array(bucketSchema) }),
        },
      },
      handler: async ({ principal, params, query }) => {
        const app = await findOwnedApp(db, principal.user.id, params.slug);
        const { from, to } = usageRange(query, deps.now());
        // The bucket that holds `from` is included: buckets are aligned to the epoch.
        const rows = await listUsageSamplesInRange(db, app.id, bucketStart(from), to);
        return { bucket_seconds: BUCKET_MS / 1000, buckets: rows.map(bucketDto) };
      },
    }),
    defineRoute({
      method: "GET",
      url: "/apps/:slug/stats",
      access: "user",
      summary: "The app's live resource usage as its worker last reported it, or null when none is fresh",
      tags: ["usage"],
      schema: {
        params: slugParams,
        response: { 200: z.object({ stats: statsSchema.nullable() }) },
      },
      handler: async ({ principal, params }) => {
        const app = await findOwnedApp(db, principal.user.id, params.slug);
        const s = deps.stats.appStatsLive(app.id);
        return { stats: s ? statsDto(s) : null };
      },
    }),
    defineRoute({
      method: "GET",
      url: "/apps-stats",
      access: "user",
      summary:
        "The live resource usage of all the caller's apps, keyed by slug; an app without fresh stats is left out " +
        "(one request for a whole list instead of one per app)",
      tags: ["usage"],
      schema: { response: { 200: z.object({ stats: z.record(z.string(), statsSchema) }) } },
      handler: async ({ principal }) => {
        const apps = await listAppSlugsByUser(db, principal.user.id);
        const stats: Record<string, z.infer<typeof statsSchema>> = {};
        for (const a of apps) {
          const s = deps.stats.appStatsLive(a.id);
          if (s) stats[a.slug] = statsDto(s);
        }
        return { stats };
      },
    }),
  ];
}
