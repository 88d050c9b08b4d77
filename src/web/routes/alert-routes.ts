import { z } from "zod";
import { AlertManager } from "../../alerts/manager.js";
import { listAlertsWithAppByUser, type AlertWithApp } from "../../db/alerts.js";
import {
  listAppAlertRulesByApp,
  replaceAppAlertRules,
  RULE_ALERT_SOURCE_TYPE,
  ruleAlertSourceId,
  type AlertRuleInput,
  type AppAlertRuleRow,
} from "../../db/app-alert-rules.js";
import type { AlertRuleKind } from "../../db/schema.js";
import { InvalidRequestError } from "../../errors.js";
import type { UserApiDeps } from "../deps.js";
import { findOwnedApp } from "../owned.js";
import { defineRoute, type UserRoute } from "../route.js";
import { iso, isoDate, slugParams, slugSchema } from "../schemas.js";

/**
 * An app's alert rules and the user's alerts. The threshold poller
 * (src/alerts/threshold.ts, evaluate.ts) judges each enabled rule of a
 * running app every interval and fires an alert once its condition has held
 * for sustain_minutes, resolving it once it has not for as long.
 */

/** The app_alert_rules CHECK's kinds. */
export const ALERT_RULE_KINDS = ["cpu", "memory", "network", "disk", "offline"] as const;
/** Kinds whose threshold is a percentage (0..100). */
const PERCENT_KINDS: ReadonlySet<AlertRuleKind> = new Set(["cpu", "memory"]);

const THRESHOLD_MEANING =
  "fires when the value stays strictly above threshold for sustain_minutes: " +
  "cpu in percent as the worker reports the container's CPU use, " +
  "memory in percent of the container's memory limit (else the app's memory_mb) (both 0-100), " +
  "network in Mbps, disk in MB/s; offline fires when the app's worker is offline " +
  "or the app reports no stats (its threshold is ignored)";

const ruleSchema = z.object({
  kind: z.enum(ALERT_RULE_KINDS),
  threshold: z.number(),
  sustain_minutes: z.number().int(),
  enabled: z.boolean(),
});
const rulesResponse = z.object({ rules: z.array(ruleSchema) });

const ruleInput = z.object({
  kind: z.enum(ALERT_RULE_KINDS),
  threshold: z.number().min(0).max(1e12).optional().describe("Required except for offline"),
  sustain_minutes: z.number().int().min(1).max(1440),
  enabled: z.boolean().default(true),
});
const rulesBody = z.object({ rules: z.array(ruleInput).max(ALERT_RULE_KINDS.length * 4) });

const alertSchema = z.object({
  id: z.number().int(),
  app: z.string().nullable(),
  kind: z.string(),
  severity: z.string(),
  status: z.enum(["active", "resolved"]),
  title: z.string(),
  message: z.string(),
  value: z.number().nullable(),
  threshold: z.number().nullable(),
  created_at: isoDate,
  resolved_at: isoDate.nullable(),
});

/** Alerts listed at most. */
export const ALERTS_LIMIT = 200;

function ruleDto(r: AppAlertRuleRow): z.infer<typeof ruleSchema> {
  return { kind: r.kind, threshold: r.threshold, sustain_minutes: r.sustain_minutes, enabled: r.enabled };
}

function alertDto(a: AlertWithApp): z.infer<typeof alertSchema> {
  return {
    id: a.id,
    app: a.app_slug,
    kind: a.kind,
    severity: a.severity,
    status: a.status,
    title: a.title,
    message: a.message,
    value: a.value,
    threshold: a.threshold,
    created_at: iso(a.created_at),
    resolved_at: iso(a.resolved_at),
  };
}

/** The rule set's checks beyond the schema; errors name `rules.<i>.<field>`. */
export function checkRules(rules: readonly z.output<typeof ruleInput>[]): AlertRuleInput[] {
  const seen = new Set<AlertRuleKind>();
  return rules.map((r, i) => {
    if (seen.has(r.kind)) {
      throw new InvalidRequestError(
        `rules.${i}.kind: a second rule of kind ${r.kind}: an app has at most one rule per kind`,
        `rules.${i}.kind`,
      );
    }
    seen.add(r.kind);
    const field = `rules.${i}.threshold`;
    if (r.threshold === undefined && r.kind !== "offline") {
      throw new InvalidRequestError(`${field}: required for kind ${r.kind}`, field);
    }
    const threshold = r.threshold ?? 0;
    if (PERCENT_KINDS.has(r.kind) && threshold > 100) {
      throw new InvalidRequestError(`${field}: a percentage for kind ${r.kind}: at most 100`, field);
    }
    return { kind: r.kind, threshold, sustain_minutes: r.sustain_minutes, enabled: r.enabled };
  });
}

export function alertRoutes(deps: UserApiDeps): UserRoute[] {
  const { db } = deps;
  // Stateless: the same writes and events as the threshold poller's manager.
  const manager = new AlertManager({ db, publisher: deps.publisher, now: deps.now });
  return [
    defineRoute({
      method: "GET",
      url: "/apps/:slug/alert-rules",
      access: "user",
      summary: "The app's alert rules, by kind",
      tags: ["alerts"],
      schema: { params: slugParams, response: { 200: rulesResponse } },
      handler: async ({ principal, params }) => {
        const app = await findOwnedApp(db, principal.user.id, params.slug);
        return { rules: (await listAppAlertRulesByApp(db, app.id)).map(ruleDto) };
      },
    }),
    defineRoute({
      method: "PUT",
      url: "/apps/:slug/alert-rules",
      access: "user",
      summary:
        `Replace the app's alert rules (at most one per kind); the active alert of a rule removed or ` +
        `disabled is resolved. A rule ${THRESHOLD_MEANING}`,
      tags: ["alerts"],
      schema: { params: slugParams, body: rulesBody, response: { 200: rulesResponse } },
      handler: async ({ principal, params, body }) => {
        const app = await findOwnedApp(db, principal.user.id, params.slug);
        const rules = checkRules(body.rules);
        const before = await listAppAlertRulesByApp(db, app.id);
        const rows = await replaceAppAlertRules(db, app.id, rules, deps.now());
        // The poller no longer judges a rule removed or disabled, so nothing else would ever
        // resolve its active alert: it is resolved here (publishing alert.resolved).
        const judged = new Set(rows.filter((r) => r.enabled).map((r) => r.kind));
        for (const r of before) {
          if (judged.has(r.kind)) continue;
          const source = ruleAlertSourceId(app.id, r.kind);
          await manager.resolveBySource(app.user_id, RULE_ALERT_SOURCE_TYPE, source, {
            id: app.id,
            name: app.name,
            slug: app.slug,
            user_id: app.user_id,
          });
        }
        return { rules: rows.map(ruleDto) };
      },
    }),
    defineRoute({
      method: "GET",
      url: "/alerts",
      access: "user",
      summary:
        `The account's alerts, newest first (at most ${ALERTS_LIMIT}), optionally only active or resolved ones, ` +
        "and only those of one app (its slug)",
      tags: ["alerts"],
      schema: {
        querystring: z.object({
          status: z.enum(["active", "resolved"]).optional(),
          app: slugSchema.optional(),
        }),
        response: { 200: z.object({ alerts: z.array(alertSchema) }) },
      },
      handler: async ({ principal, query }) => {
        // An app that is not the caller's is a 404, as on every app route.
        const app =
          query.app === undefined ? undefined : await findOwnedApp(db, principal.user.id, query.app);
        const rows = await listAlertsWithAppByUser(db, principal.user.id, {
          ...(query.status ? { status: query.status } : {}),
          ...(app ? { appId: app.id } : {}),
          limit: ALERTS_LIMIT,
        });
        return { alerts: rows.map(alertDto) };
      },
    }),
  ];
}
