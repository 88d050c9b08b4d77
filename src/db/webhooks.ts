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

export function findWebhookOfUser(
  db: Kysely<DB>,
  userId: number,
  id: number,
): Promise<WebhookRow | undefined> {
  return db
    .selectFrom("webhooks")
    .selectAll()
    .where("id", "=", id)
    .where("user_id", "=", userId)
    .executeTakeFirst();
}

/** Deletes the user's webhook (and its deliveries). True when deleted. */
export async function deleteWebhookOfUser(db: Kysely<DB>, userId: number, id: number): Promise<boolean> {
  const result = await db
    .deleteFrom("webhooks")
    .where("id", "=", id)
    .where("user_id", "=", userId)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/**
 * Inserts the webhook unless its user already has `max`, in one
 * transaction that locks the user's row first, so concurrent creations
 * cannot together pass the limit. Undefined when the limit was reached.
 */
export function insertWebhookWithinLimit(
  db: Kysely<DB>,
  webhook: NewWebhook,
  max: number,
): Promise<WebhookRow | undefined> {
  return db.transaction().execute(async (trx) => {
    await trx.selectFrom("users").select("id").where("id", "=", webhook.user_id).forUpdate().execute();
    const { n } = await trx
      .selectFrom("webhooks")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("user_id", "=", webhook.user_id)
      .executeTakeFirstOrThrow();
    if (Number(n) >= max) return undefined;
    return insertWebhook(trx, webhook);
  });
}
