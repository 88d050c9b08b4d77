import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { SecretBox } from "../crypto/aes.js";
import {
  claimDueWebhookDeliveries,
  insertDeliveriesForEvent,
  insertDeliveriesForEvents,
  markWebhookDeliveriesSucceeded,
  type ClaimedWebhookDelivery,
  type EventDeliveries,
} from "../db/webhook-deliveries.js";
import type { DB } from "../db/schema.js";
import type { PlatformEvent, TransactionalPublisher } from "../events/publisher.js";
import type { Service } from "../lifecycle.js";
import { Loop } from "../loop.js";
import { DEFAULT_BACKOFF_MS } from "./backoff.js";
import { deliverOne, type DeliveryContext } from "./delivery.js";
import { GroupWriter } from "./group-writer.js";
import { DEFAULT_TIMEOUT_MS, GuardedHttpClient } from "./http-client.js";
import { Limiter } from "./limiter.js";
import { buildWebhookPayload } from "./payload.js";
import { openWebhookTarget } from "./registration.js";
import type { Resolver } from "./ssrf.js";
import type { DeliveryTarget } from "./targets.js";
import {
  sendTestEvent,
  type TestableWebhook,
  type TestEventOptions,
  type TestEventResult,
} from "./test-event.js";

/**
 * The webhook dispatcher: the platform's Publisher, and the loop that
 * delivers what was published.
 *
 * Publishing writes one `webhook_deliveries` row per enabled webhook of the
 * app's owner subscribed to the event type, in one statement.
 * `publishInTx(trx, event)` writes them in the caller's transaction, the
 * outbox: they commit with the change or not at all. `publish(event)` (the
 * Publisher port) writes them on its own, group-committed with the other
 * publishes of the same moment, and never throws; a failed write is logged.
 *
 * Delivering: the loop claims due rows with SKIP LOCKED under a lease
 * (claimDueWebhookDeliveries), sends them with at most `concurrency` in
 * flight through the SSRF-guarded client (timeout, no redirects), and
 * records each outcome: succeeded (group-committed), or pending again after
 * backoff (≈ 30 s, 2 min, 10 min, 1 h, 6 h, jittered), or failed after the
 * 6th attempt. Safe on several replicas; at least once (a crash after a send
 * and before its record sends it again when the lease ends); the
 * `webhook-id` is the same on every attempt. `publish` wakes the loop, so a
 * delivery leaves within milliseconds; the interval is the fallback (other
 * replicas' events, retries, `publishInTx` without a wake()).
 *
 * Wiring (src/main.ts), for the lead:
 *
 *   const webhooks = new WebhookDispatcher({
 *     db: kdb, secretBox, log, now,
 *     baseDomain: config.proxy.base_domain,
 *     allowPrivateTargets: config.webhooks.allow_private_targets,
 *   });
 *   const publisher = overrides.publisher ?? webhooks;   // instead of NoopPublisher
 *   services: [..., webhooks]  // after the database is open; stopped before it closes
 *
 * Parts holding a transaction may use `isTransactionalPublisher(publisher)`
 * and call `publishInTx(trx, event)` inside it, then `wake()` after commit.
 * The user API stores webhooks with registration.sealNewWebhook and calls
 * `sendTestEvent(row)` for "send a test event".
 */

export interface WebhookDispatcherOptions {
  db: Kysely<DB>;
  /** Opens url_enc and secret_enc (registration.ts seals them). */
  secretBox: SecretBox;
  log: {
    info(obj: object, msg: string): void;
    warn(obj: object, msg: string): void;
    error(obj: object, msg: string): void;
  };
  /** `proxy.base_domain`: app URLs are `https://<slug>.<base_domain>`. */
  baseDomain: string;
  /** `webhooks.allow_private_targets`. */
  allowPrivateTargets: boolean;
  now?: () => Date;
  /** [0, 1), for the backoff jitter. */
  random?: () => number;
  /** New event ids (the `webhook-id` header). Default `evt_<uuid v4>`. */
  newEventId?: () => string;
  /** DNS for the SSRF guard. Default getaddrinfo. */
  resolver?: Resolver;
  /** Per-request deadline. Default 10 s. */
  timeoutMs?: number;
  /** Fallback poll interval. Default 1 s. */
  intervalMs?: number;
  /** Rows per claim. Default 100. */
  batchSize?: number;
  /** Sends in flight per tick. Default 32. */
  concurrency?: number;
  /** Retry delays; a delivery gets backoffMs.length + 1 attempts. */
  backoffMs?: readonly number[];
  /** How long a claim holds its rows. Default 5 min; must exceed a batch's sending time. */
  leaseMs?: number;
}

export interface DeliveryTickResult {
  claimed: number;
  succeeded: number;
  retried: number;
  failed: number;
  /** Outcomes not recorded because the lease had expired (another claim owns the row). */
  lost: number;
}

const emptyResult = (): DeliveryTickResult => ({ claimed: 0, succeeded: 0, retried: 0, failed: 0, lost: 0 });

/** Opened webhook targets kept (keyed by their sealed values); the map is cleared when full. */
const TARGET_CACHE_SIZE = 1000;

interface Batch {
  rows: ClaimedWebhookDelivery[];
  leaseUntil: Date;
}

export class WebhookDispatcher implements TransactionalPublisher, Service {
  readonly name = "webhooks";
  private readonly opts: WebhookDispatcherOptions;
  private readonly now: () => Date;
  private readonly newEventId: () => string;
  private readonly batchSize: number;
  private readonly client: GuardedHttpClient;
  private readonly sends: Limiter;
  private readonly ctx: DeliveryContext;
  private readonly loop: Loop<DeliveryTickResult>;
  private readonly publishes: GroupWriter<EventDeliveries, number[]>;
  private readonly successes: GroupWriter<
    { id: number; leaseUntil: Date; statusCode: number | null; at: Date },
    boolean
  >;
  private readonly targets = new Map<string, DeliveryTarget>();
  private readonly publishing = new Set<Promise<void>>();
  private draining: Promise<DeliveryTickResult> | undefined;
  private drainAgain = false;
  private running = false;

  constructor(opts: WebhookDispatcherOptions) {
    this.opts = opts;
    this.now = opts.now ?? ((): Date => new Date());
    this.newEventId = opts.newEventId ?? ((): string => `evt_${randomUUID()}`);
    this.batchSize = opts.batchSize ?? 100;
    this.client = new GuardedHttpClient({
      allowPrivateTargets: opts.allowPrivateTargets,
      timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(opts.resolver ? { resolver: opts.resolver } : {}),
    });
    this.sends = new Limiter(opts.concurrency ?? 32);
    this.publishes = new GroupWriter((events) => insertDeliveriesForEvents(opts.db, events));
    this.successes = new GroupWriter(async (items) => {
      const held = await markWebhookDeliveriesSucceeded(opts.db, items);
      return items.map((i) => held.has(i.id));
    });
    this.ctx = {
      db: opts.db,
      client: this.client,
      log: opts.log,
      now: this.now,
      random: opts.random ?? Math.random,
      backoffMs: opts.backoffMs ?? DEFAULT_BACKOFF_MS,
      openTarget: (row) => this.openTarget(row),
      recordSuccess: (item) => this.successes.add(item),
    };
    this.loop = new Loop({
      name: this.name,
      intervalMs: opts.intervalMs ?? 1000,
      log: opts.log,
      runImmediately: true,
      tick: () => this.drain(),
    });
  }

  /**
   * The Publisher port: stores the deliveries right away, outside any
   * transaction, group-committed with other publishes of the same moment.
   * Never throws; a failed write is logged (the event is then lost: callers
   * that need the outbox guarantee use publishInTx).
   */
  publish(event: PlatformEvent): void {
    let work: Promise<void>;
    try {
      work = this.publishes
        .add(this.deliveriesOf(event))
        .then((ids) => {
          if (ids.length > 0) this.wake();
        })
        .catch((err: unknown) =>
          this.opts.log.error(
            { err, event: event.type, appId: event.app.id },
            "cannot store webhook deliveries",
          ),
        )
        .finally(() => this.publishing.delete(work));
    } catch (err) {
      this.opts.log.error(
        { err, event: event.type, appId: event.app.id },
        "cannot build the webhook payload",
      );
      return;
    }
    this.publishing.add(work);
  }

  /** The outbox: stores the deliveries in the caller's transaction. Rejects when the write fails. */
  async publishInTx(trx: Kysely<DB>, event: PlatformEvent): Promise<void> {
    await this.enqueue(trx, event);
  }

  /** Stores the event's deliveries through `db` now and returns their ids (none when nobody subscribed). */
  enqueue(db: Kysely<DB>, event: PlatformEvent): Promise<number[]> {
    return insertDeliveriesForEvent(db, this.deliveriesOf(event));
  }

  /** Asks for a delivery tick now (coalesced with one in flight). No-op unless started. */
  wake(): void {
    if (!this.running) return;
    this.drain().catch((err: unknown) =>
      this.opts.log.error({ loop: this.name, err }, "webhook delivery failed"),
    );
  }

  /**
   * One batch: claims up to batchSize due deliveries, attempts each once and
   * records the outcomes. Returns the counts. Tests call it directly.
   */
  async runOnce(): Promise<DeliveryTickResult> {
    return this.deliverBatch(await this.claim());
  }

  /** Sends a sample event to one webhook now (the user API's "send a test event"). */
  sendTestEvent(webhook: TestableWebhook, opts: TestEventOptions = {}): Promise<TestEventResult> {
    return sendTestEvent(
      {
        secretBox: this.opts.secretBox,
        client: this.client,
        baseDomain: this.opts.baseDomain,
        now: this.now,
        newEventId: this.newEventId,
      },
      webhook,
      opts,
    );
  }

  start(): Promise<void> {
    this.running = true;
    return this.loop.start();
  }

  /** Stops the loop, waits for the batches and publishes in flight, closes the pooled sockets. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop.stop();
    await this.draining;
    await Promise.all([...this.publishing]);
    await this.successes.idle();
    this.client.close();
  }

  private deliveriesOf(event: PlatformEvent): EventDeliveries {
    return {
      userId: event.app.user_id,
      eventId: this.newEventId(),
      eventType: event.type,
      body: JSON.stringify(buildWebhookPayload(event, this.opts.baseDomain)),
      dueAt: this.now(),
    };
  }

  private openTarget(row: ClaimedWebhookDelivery): DeliveryTarget {
    const key = `${row.user_id}\n${row.url_enc}\n${row.secret_enc}`;
    let target = this.targets.get(key);
    if (!target) {
      target = openWebhookTarget(this.opts.secretBox, row);
      if (this.targets.size >= TARGET_CACHE_SIZE) this.targets.clear();
      this.targets.set(key, target);
    }
    return target;
  }

  private async claim(limit = this.batchSize): Promise<Batch> {
    const now = this.now();
    const leaseUntil = new Date(now.getTime() + (this.opts.leaseMs ?? 5 * 60_000));
    const rows = await claimDueWebhookDeliveries(this.opts.db, { now, leaseUntil, limit });
    return { rows, leaseUntil };
  }

  /** Attempts every row of the batch, at most `concurrency` sends at once across all batches. */
  private async deliverBatch(batch: Batch): Promise<DeliveryTickResult> {
    const result = emptyResult();
    result.claimed = batch.rows.length;
    await Promise.all(
      batch.rows.map((row) =>
        this.sends.run(async () => {
          result[await deliverOne(this.ctx, row, batch.leaseUntil)] += 1;
        }),
      ),
    );
    return result;
  }

  /**
   * Delivers until a claim finds nothing more due. Rows are claimed as send
   * slots free up, keeping at most `concurrency + batchSize` leased rows in
   * hand (the sends in flight plus one batch waiting): a receiver that hangs
   * holds one send slot until its timeout, never the loop. Never two drains
   * at once: a call while one runs asks it to go round once more and shares
   * its promise.
   */
  private drain(): Promise<DeliveryTickResult> {
    if (this.draining) {
      this.drainAgain = true;
      return this.draining;
    }
    const run = async (): Promise<DeliveryTickResult> => {
      const total = emptyResult();
      const maxInHand = (this.opts.concurrency ?? 32) + this.batchSize;
      let inHand = 0;
      let freed: (() => void) | undefined;
      const sending = new Set<Promise<void>>();
      do {
        this.drainAgain = false;
        while (this.running) {
          if (maxInHand - inHand < Math.min(this.batchSize, maxInHand / 2)) {
            await new Promise<void>((resolve) => (freed = resolve));
            continue; // re-checks `running`: stop() may have come meanwhile
          }
          const limit = Math.min(this.batchSize, maxInHand - inHand);
          const batch = await this.claim(limit);
          total.claimed += batch.rows.length;
          for (const row of batch.rows) {
            inHand += 1;
            const one: Promise<void> = this.sends
              .run(() => deliverOne(this.ctx, row, batch.leaseUntil))
              .then((outcome) => {
                total[outcome] += 1;
              })
              // Never rejects: a failed recording is logged; the row goes out again when its lease ends.
              .catch((err: unknown) =>
                this.opts.log.error({ loop: this.name, err }, "webhook delivery failed"),
              )
              .finally(() => {
                inHand -= 1;
                sending.delete(one);
                freed?.();
              });
            sending.add(one);
          }
          if (batch.rows.length < limit) break;
        }
      } while (this.drainAgain && this.running);
      await Promise.all(sending);
      return total;
    };
    this.draining = run().finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }
}
