import type { Insertable, Kysely, Selectable } from "kysely";
import type { DB, WebhooksTable } from "./schema.js";

export type WebhookRow = Selectable<WebhooksTable>;
export type NewWebhook = Insertable<WebhooksTable>;

/** Inserts one webhook. `events` must not be empty (23514). */
export function insertWebhook(db: Kysely<DB>, webhook: NewWebhook): Promise<WebhookRow> {
  return db.insertInto("webhooks").values(webhook).returningAll().executeTakeFirstOrThrow();
}

export function findWebhookById(db: Kysely<DB>, id: number): Promise<WebhookRow | undefined> {
  return db.selectFrom("webhooks").selectAll().where("id", "=", id).executeTakeFirst();
}

/** The user's webhooks, oldest first. */
export function listWebhooksByUser(db: Kysely<DB>, userId: number): Promise<WebhookRow[]> {
  return db.selectFrom("webhooks").selectAll().where("user_id", "=", userId).orderBy("id").execute();
}

/** Deletes the webhook and, by cascade, its deliveries. True when deleted. */
export async function deleteWebhook(db: Kysely<DB>, id: number): Promise<boolean> {
  const result = await db.deleteFrom("webhooks").where("id", "=", id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
