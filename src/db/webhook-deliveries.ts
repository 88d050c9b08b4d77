import { sql, type Insertable, type Kysely, type Selectable } from "kysely";
import type { DB, WebhookDeliveriesTable } from "./schema.js";

export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
export type NewWebhookDelivery = Insertable<WebhookDeliveriesTable>;

/** Inserts one delivery. The same event_id twice for one webhook fails with 23505. */
export function insertWebhookDelivery(
  db: Kysely<DB>,
  delivery: NewWebhookDelivery,
): Promise<WebhookDeliveryRow> {
  return db.insertInto("webhook_deliveries").values(delivery).returningAll().executeTakeFirstOrThrow();
}

export function findWebhookDeliveryById(db: Kysely<DB>, id: number): Promise<WebhookDeliveryRow | undefined> {
  return db.selectFrom("webhook_deliveries").selectAll().where("id", "=", id).executeTakeFirst();
}

/** The webhook's deliveries, newest first, at most `limit`. */
export function listWebhookDeliveriesByWebhook(
  db: Kysely<DB>,
  webhookId: number,
  limit = 50,
): Promise<WebhookDeliveryRow[]> {
  return db
    .selectFrom("webhook_deliveries")
    .selectAll()
    .where("webhook_id", "=", webhookId)
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
}

/** True when a row was deleted. */
export async function deleteWebhookDelivery(db: Kysely<DB>, id: number): Promise<boolean> {
  const result = await db.deleteFrom("webhook_deliveries").where("id", "=", id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export interface EventDeliveries {
  userId: number;
  eventId: string;
  eventType: string;
  body: string;
  /** When the first attempt is due (the publisher's clock, not the database's). */
  dueAt: Date;
}

/**
 * Fans one event out: a pending delivery for every enabled webhook of the
 * user that is subscribed to the event type, in one statement (so it runs in
 * whatever transaction `db` is). Returns the ids created. Publishing the same
 * event id again creates nothing (unique (webhook_id, event_id)).
 */
export async function insertDeliveriesForEvent(db: Kysely<DB>, e: EventDeliveries): Promise<number[]> {
  const { rows } = await sql<{ id: number }>`
    INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, body, next_attempt_at)
    SELECT w.id, ${e.eventId}::text, ${e.eventType}::text, ${e.body}::text, ${e.dueAt}::timestamptz
    FROM webhooks w
    WHERE w.user_id = ${e.userId} AND w.enabled AND ${e.eventType}::text = ANY(w.events)
    ORDER BY w.id
    ON CONFLICT (webhook_id, event_id) DO NOTHING
    RETURNING id`.execute(db);
  return rows.map((r) => r.id);
}

/**
 * insertDeliveriesForEvent for several events in one statement (group
 * commit of publishes made outside a transaction). Returns, per event in
 * order, the ids created.
 */
export async function insertDeliveriesForEvents(
  db: Kysely<DB>,
  events: readonly EventDeliveries[],
): Promise<number[][]> {
  if (events.length === 0) return [];
  const { rows } = await sql<{ id: number; event_id: string }>`
    INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, body, next_attempt_at)
    SELECT w.id, e.event_id, e.event_type, e.body, e.due_at
    FROM unnest(
      ${events.map((e) => e.userId)}::int[],
      ${events.map((e) => e.eventId)}::text[],
      ${events.map((e) => e.eventType)}::text[],
      ${events.map((e) => e.body)}::text[],
      ${events.map((e) => e.dueAt.toISOString())}::timestamptz[]
    ) WITH ORDINALITY AS e(user_id, event_id, event_type, body, due_at, ord)
    JOIN webhooks w ON w.user_id = e.user_id AND w.enabled AND e.event_type = ANY(w.events)
    ORDER BY e.ord, w.id
    ON CONFLICT (webhook_id, event_id) DO NOTHING
    RETURNING id, event_id`.execute(db);
  const byEvent = new Map<string, number[]>();
  for (const r of [...rows].sort((a, b) => a.id - b.id)) {
    const ids = byEvent.get(r.event_id);
    if (ids) ids.push(r.id);
    else byEvent.set(r.event_id, [r.id]);
  }
  return events.map((e) => byEvent.get(e.eventId) ?? []);
}

/** A claimed delivery with what sending it needs from its webhook. */
export interface ClaimedWebhookDelivery {
  id: number;
  webhook_id: number;
  event_id: string;
  event_type: string;
  body: string;
  /** Attempts made before this one. */
  attempts: number;
  user_id: number;
  url_enc: string;
  /** The redacted URL: the only form of it that may be logged. */
  url_display: string;
  secret_enc: string;
  enabled: boolean;
}

/**
 * Claims up to `limit` pending deliveries due at `now`, oldest first, with
 * SKIP LOCKED (replicas never claim the same row), and leases them: their
 * next_attempt_at becomes `leaseUntil`, so no other claim takes them until
 * then. A claimer that dies mid-send loses its lease and the row is sent
 * again after `leaseUntil` (delivery is at least once). The outcome is
 * recorded with markWebhookDeliveriesSucceeded / markWebhookDeliveryFailed
 * given the same `leaseUntil`.
 */
export async function claimDueWebhookDeliveries(
  db: Kysely<DB>,
  opts: { now: Date; leaseUntil: Date; limit: number },
): Promise<ClaimedWebhookDelivery[]> {
  // `= ANY(ARRAY(...))` keeps the update on the primary key: a join with the
  // CTE lets the planner pick a sequential scan of the whole table.
  const { rows } = await sql<ClaimedWebhookDelivery>`
    WITH due AS (
      SELECT id FROM webhook_deliveries
      WHERE status = 'pending' AND next_attempt_at <= ${opts.now}::timestamptz
      ORDER BY next_attempt_at
      LIMIT ${opts.limit}
      FOR UPDATE SKIP LOCKED
    ), claimed AS (
      UPDATE webhook_deliveries d SET next_attempt_at = ${opts.leaseUntil}::timestamptz
      WHERE d.id = ANY(ARRAY(SELECT id FROM due))
      RETURNING d.id, d.webhook_id, d.event_id, d.event_type, d.body, d.attempts
    )
    SELECT c.id, c.webhook_id, c.event_id, c.event_type, c.body, c.attempts,
           w.user_id, w.url_enc, w.url_display, w.secret_enc, w.enabled
    FROM claimed c JOIN webhooks w ON w.id = c.webhook_id
    ORDER BY c.id`.execute(db);
  return rows;
}

/**
 * Records successful attempts, several in one statement. Each only while its
 * claim's lease holds (the row is still pending with next_attempt_at =
 * leaseUntil). Returns the ids recorded; an id missing from it had lost its
 * lease (another claim owns the row now).
 */
export async function markWebhookDeliveriesSucceeded(
  db: Kysely<DB>,
  items: readonly { id: number; leaseUntil: Date; statusCode: number | null; at: Date }[],
): Promise<Set<number>> {
  if (items.length === 0) return new Set();
  const { rows } = await sql<{ id: number }>`
    UPDATE webhook_deliveries d
    SET status = 'succeeded', attempts = d.attempts + 1, last_status_code = u.code,
        last_error = NULL, delivered_at = u.at
    FROM unnest(
      ${items.map((i) => i.id)}::int[],
      ${items.map((i) => i.leaseUntil.toISOString())}::timestamptz[],
      ${items.map((i) => i.statusCode)}::int[],
      ${items.map((i) => i.at.toISOString())}::timestamptz[]
    ) AS u(id, lease, code, at)
    WHERE d.id = u.id AND d.status = 'pending' AND d.next_attempt_at = u.lease
    RETURNING d.id`.execute(db);
  return new Set(rows.map((r) => r.id));
}

/**
 * Records a failed attempt: pending again, due at `retryAt`, or `failed` for
 * good when `retryAt` is null. Same lease rule as the success.
 */
export async function markWebhookDeliveryFailed(
  db: Kysely<DB>,
  opts: { id: number; leaseUntil: Date; statusCode: number | null; error: string; retryAt: Date | null },
): Promise<boolean> {
  const result = await db
    .updateTable("webhook_deliveries")
    .set((eb) => ({
      status: opts.retryAt === null ? "failed" : "pending",
      attempts: eb("attempts", "+", 1),
      last_status_code: opts.statusCode,
      last_error: opts.error,
      next_attempt_at: opts.retryAt ?? opts.leaseUntil,
    }))
    .where("id", "=", opts.id)
    .where("status", "=", "pending")
    .where("next_attempt_at", "=", opts.leaseUntil)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
