import type { Kysely } from "kysely";
import { markWebhookDeliveryFailed, type ClaimedWebhookDelivery } from "../db/webhook-deliveries.js";
import type { DB } from "../db/schema.js";
import { nextAttemptAt } from "./backoff.js";
import type { GuardedHttpClient, SendOutcome } from "./http-client.js";
import { parseWebhookPayload } from "./payload.js";
import { buildDeliveryRequests, type DeliveryTarget } from "./targets.js";

/**
 * One attempt of one claimed delivery, and the recording of its outcome.
 * Ordering: the row was leased by the claim before anything is sent; the
 * outcome is written after the send, guarded by that lease. A crash between
 * the two leaves the row pending, to be sent again once the lease expires:
 * at least once, never lost. The `webhook-id` is the row's event id, the
 * same on every attempt.
 */

export type DeliveryResult = "succeeded" | "retried" | "failed" | "lost";

export interface DeliveryContext {
  db: Kysely<DB>;
  client: GuardedHttpClient;
  log: { warn(obj: object, msg: string): void };
  now: () => Date;
  random: () => number;
  backoffMs: readonly number[];
  /** The webhook's plaintext URL and secret (throws when they do not open). */
  openTarget: (row: ClaimedWebhookDelivery) => DeliveryTarget;
  /** Records a success under the lease (group-committed); false when the lease was lost. */
  recordSuccess: (item: {
    id: number;
    leaseUntil: Date;
    statusCode: number | null;
    at: Date;
  }) => Promise<boolean>;
}

/** A send outcome; `permanent` when no retry can fix it (give up now rather than after 6 h). */
type AttemptOutcome = SendOutcome & { permanent?: true };

/** Sends every request of the delivery in order, stopping at the first failure. */
async function attempt(ctx: DeliveryContext, row: ClaimedWebhookDelivery): Promise<AttemptOutcome> {
  if (!row.enabled)
    return { ok: false, statusCode: null, error: "webhook disabled", blocked: false, permanent: true };
  let requests;
  try {
    const payload = parseWebhookPayload(row.body);
    requests = buildDeliveryRequests(ctx.openTarget(row), payload, row.body, {
      messageId: row.event_id,
      now: ctx.now(),
    });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return {
      ok: false,
      statusCode: null,
      error: `cannot prepare the request: ${why}`,
      blocked: false,
      permanent: true,
    };
  }
  let last: SendOutcome = { ok: true, statusCode: null, error: null, blocked: false };
  for (const request of requests) {
    last = await ctx.client.send(request);
    if (!last.ok) return last;
  }
  return last;
}

export async function deliverOne(
  ctx: DeliveryContext,
  row: ClaimedWebhookDelivery,
  leaseUntil: Date,
): Promise<DeliveryResult> {
  const outcome = await attempt(ctx, row);
  const at = ctx.now();
  if (outcome.ok) {
    const held = await ctx.recordSuccess({ id: row.id, leaseUntil, statusCode: outcome.statusCode, at });
    return held ? "succeeded" : lost(ctx, row);
  }
  const attemptsMade = row.attempts + 1;
  const retryAt = outcome.permanent ? null : nextAttemptAt(attemptsMade, at, ctx.random, ctx.backoffMs);
  ctx.log.warn(
    {
      webhookId: row.webhook_id,
      deliveryId: row.id,
      event: row.event_type,
      target: row.url_display,
      attempt: attemptsMade,
      statusCode: outcome.statusCode,
      error: outcome.error,
      retryAt,
    },
    retryAt ? "webhook delivery failed; will retry" : "webhook delivery failed for good",
  );
  const held = await markWebhookDeliveryFailed(ctx.db, {
    id: row.id,
    leaseUntil,
    statusCode: outcome.statusCode,
    error: outcome.error ?? "failed",
    retryAt,
  });
  if (!held) return lost(ctx, row);
  return retryAt ? "retried" : "failed";
}

function lost(ctx: DeliveryContext, row: ClaimedWebhookDelivery): DeliveryResult {
  ctx.log.warn(
    { webhookId: row.webhook_id, deliveryId: row.id },
    "webhook delivery outcome not recorded: its lease expired and another claim owns it",
  );
  return "lost";
}
