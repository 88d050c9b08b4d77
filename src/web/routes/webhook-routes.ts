import { z } from "zod";
import { listWebhookDeliveriesByWebhook, type WebhookDeliveryRow } from "../../db/webhook-deliveries.js";
import {
  deleteWebhookOfUser,
  findWebhookOfUser,
  insertWebhookWithinLimit,
  listWebhooksByUser,
  type WebhookRow,
} from "../../db/webhooks.js";
import { ConflictError, NotFoundError } from "../../errors.js";
import { EVENT_TYPES } from "../../events/publisher.js";
import { sealNewWebhook } from "../../webhooks/registration.js";
import type { UserApiDeps } from "../deps.js";
import { defineRoute, type UserRoute } from "../route.js";
import { idParams, iso, isoDate } from "../schemas.js";

/**
 * The account's webhooks. The URL (it may carry a chat service's token) and
 * the signing secret are stored sealed (registration.ts); what the API shows
 * afterwards is only the redacted URL, and the secret appears once, in the
 * creation's response. The URL's grammar is checked at creation; the SSRF
 * guard runs at every delivery (the name may resolve elsewhere later).
 */

/** Webhooks an account may have. */
export const MAX_WEBHOOKS_PER_USER = 20;
/** Deliveries listed at most, newest first. */
export const DELIVERIES_LIMIT = 100;

const webhookSchema = z.object({
  id: z.number().int(),
  url: z.string().describe("Redacted: path, query and credentials are elided"),
  events: z.array(z.string()),
  enabled: z.boolean(),
  created_at: isoDate,
});

const deliverySchema = z.object({
  id: z.number().int(),
  event_id: z.string(),
  event_type: z.string(),
  status: z.enum(["pending", "succeeded", "failed"]),
  attempts: z.number().int(),
  last_status_code: z.number().int().nullable(),
  last_error: z.string().nullable(),
  created_at: isoDate,
  delivered_at: isoDate.nullable(),
  next_attempt_at: isoDate.nullable().describe("When the next attempt is due; null once settled"),
});

const createBody = z.object({
  url: z.string().min(1).max(2048),
  events: z
    .array(z.string().max(64))
    .min(1)
    .max(EVENT_TYPES.length * 2)
    .describe(`Event types: ${EVENT_TYPES.join(", ")}`),
  enabled: z.boolean().optional(),
});

function webhookDto(w: WebhookRow): z.infer<typeof webhookSchema> {
  return {
    id: w.id,
    url: w.url_display,
    events: w.events,
    enabled: w.enabled,
    created_at: iso(w.created_at),
  };
}

function deliveryDto(d: WebhookDeliveryRow): z.infer<typeof deliverySchema> {
  return {
    id: d.id,
    event_id: d.event_id,
    event_type: d.event_type,
    status: d.status,
    attempts: d.attempts,
    last_status_code: d.last_status_code,
    last_error: d.last_error,
    created_at: iso(d.created_at),
    delivered_at: iso(d.delivered_at),
    next_attempt_at: d.status === "pending" ? iso(d.next_attempt_at) : null,
  };
}

export function webhookRoutes(deps: UserApiDeps): UserRoute[] {
  const { db } = deps;

  async function owned(userId: number, id: number): Promise<WebhookRow> {
    const row = await findWebhookOfUser(db, userId, id);
    if (!row) throw new NotFoundError(`webhook ${id} not found`);
    return row;
  }

  return [
    defineRoute({
      method: "GET",
      url: "/webhooks",
      access: "user",
      summary: "The account's webhooks (URLs redacted, never the secret)",
      tags: ["webhooks"],
      schema: { response: { 200: z.object({ webhooks: z.array(webhookSchema) }) } },
      handler: async ({ principal }) => {
        return { webhooks: (await listWebhooksByUser(db, principal.user.id)).map(webhookDto) };
      },
    }),
    defineRoute({
      method: "POST",
      url: "/webhooks",
      access: "user",
      summary:
        `Add a webhook (http(s) URL, signed per Standard Webhooks, or a discord://, slack://, ntfy://, ` +
        `telegram://, gotify://, generic:// URL); the signing secret is in this response only. ` +
        `At most ${MAX_WEBHOOKS_PER_USER} per account`,
      tags: ["webhooks"],
      status: 201,
      schema: {
        body: createBody,
        response: {
          201: z.object({
            webhook: webhookSchema,
            secret: z.string().describe("The whsec_ signing secret: shown once"),
          }),
        },
      },
      handler: async ({ principal, body }) => {
        // Throws WebhookError (400) for a malformed URL or unknown event types.
        const sealed = sealNewWebhook(deps.secretBox, {
          userId: principal.user.id,
          url: body.url,
          events: body.events,
          ...(body.enabled === undefined ? {} : { enabled: body.enabled }),
        });
        const row = await insertWebhookWithinLimit(db, sealed.values, MAX_WEBHOOKS_PER_USER);
        if (!row) {
          throw new ConflictError(
            "webhook_limit",
            `an account may have at most ${MAX_WEBHOOKS_PER_USER} webhooks: delete one first`,
          );
        }
        return { webhook: webhookDto(row), secret: sealed.secret };
      },
    }),
    defineRoute({
      method: "DELETE",
      url: "/webhooks/:id",
      access: "user",
      summary: "Delete a webhook and its delivery history",
      tags: ["webhooks"],
      status: 204,
      schema: { params: idParams },
      handler: async ({ principal, params }) => {
        if (!(await deleteWebhookOfUser(db, principal.user.id, params.id))) {
          throw new NotFoundError(`webhook ${params.id} not found`);
        }
      },
    }),
    defineRoute({
      method: "POST",
      url: "/webhooks/:id/test",
      access: "user",
      summary: "Send a sample event now (one attempt, not stored, not retried) and report the outcome",
      tags: ["webhooks"],
      schema: {
        params: idParams,
        response: {
          200: z.object({
            delivered: z.boolean(),
            status_code: z.number().int().nullable(),
            error: z.string().nullable(),
          }),
        },
      },
      handler: async ({ principal, params }) => {
        const row = await owned(principal.user.id, params.id);
        const result = await deps.webhooks.sendTestEvent(row);
        return { delivered: result.ok, status_code: result.statusCode, error: result.error };
      },
    }),
    defineRoute({
      method: "GET",
      url: "/webhooks/:id/deliveries",
      access: "user",
      summary: `The webhook's latest deliveries (at most ${DELIVERIES_LIMIT}), newest first`,
      tags: ["webhooks"],
      schema: {
        params: idParams,
        response: { 200: z.object({ deliveries: z.array(deliverySchema) }) },
      },
      handler: async ({ principal, params }) => {
        const row = await owned(principal.user.id, params.id);
        const rows = await listWebhookDeliveriesByWebhook(db, row.id, DELIVERIES_LIMIT);
        return { deliveries: rows.map(deliveryDto) };
      },
    }),
  ];
}
