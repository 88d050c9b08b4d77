import type { Insertable, Kysely, Selectable } from "kysely";
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
