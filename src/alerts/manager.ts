import type { Kysely } from "kysely";
import {
  findActiveAlert,
  insertAlertUnlessActive,
  resolveActiveAlertsBySource,
  type AlertRow,
} from "../db/alerts.js";
import { findAppById } from "../db/apps.js";
import type { DB } from "../db/schema.js";
import {
  isTransactionalPublisher,
  type EventApp,
  type EventType,
  type PlatformEvent,
  type Publisher,
} from "../events/publisher.js";

export type AlertSeverity = "info" | "warning" | "critical";

/** What emit raises: the reference's Spec, plus the figures and the event to publish. */
export interface AlertSpec {
  userId: number;
  appId: number | null;
  kind: string;
  /** Default `warning`. */
  severity?: AlertSeverity;
  /** With userId, identifies the condition: one active alert per (user, sourceType, sourceId). */
  sourceType: string;
  sourceId: string;
  title: string;
  message?: string;
  value?: number | null;
  threshold?: number | null;
  sustainMinutes?: number | null;
  /** The event to publish if, and only if, this call creates the alert. */
  event?: { type: EventType; app: EventApp };
}

export interface EmitResult {
  /** The source's active alert: the one created, or the one that already existed. */
  alert: AlertRow;
  /** True when this call inserted it (and published spec.event). */
  created: boolean;
}

export interface AlertManagerOptions {
  db: Kysely<DB>;
  publisher: Publisher;
  now: () => Date;
}

/** Attempts of emit when the active alert it collided with is resolved before it could be read. */
const EMIT_ATTEMPTS = 3;

/**
 * The reference's alert manager: one active alert per (user_id,
 * source_type, source_id), enforced by the partial unique index
 * alerts_one_active_per_source, never by a read-then-write.
 *
 * Who publishes: the manager, never its caller. emit publishes the fired
 * event the caller names (spec.event: the threshold poller passes app.cpu,
 * app.memory, ...) only when it creates the alert; resolveBySource
 * publishes `alert.resolved` for each alert it resolves. Since only one
 * INSERT wins the index and only one UPDATE flips an alert to resolved,
 * each event is published once however many replicas race. With a
 * TransactionalPublisher (the webhook dispatcher) the event is written in
 * the same transaction as the alert (outbox: both or neither); with a plain
 * Publisher it is published right after the write has committed.
 *
 * `db` must be the pool handle, not a transaction: the manager commits its
 * own writes, and publishes only what was committed.
 */
export class AlertManager {
  constructor(private readonly opts: AlertManagerOptions) {}

  /**
   * Returns the source's active alert, inserting it from `spec` when there
   * is none. Concurrent calls for one source (from any connection) create
   * one alert; the others get it with created = false.
   */
  async emit(spec: AlertSpec): Promise<EmitResult> {
    const now = this.opts.now();
    for (let attempt = 1; ; attempt++) {
      const result = await this.write(async (db) => {
        const inserted = await insertAlertUnlessActive(db, {
          user_id: spec.userId,
          app_id: spec.appId,
          kind: spec.kind,
          severity: spec.severity ?? "warning",
          source_type: spec.sourceType,
          source_id: spec.sourceId,
          title: spec.title,
          message: spec.message ?? "",
          value: spec.value ?? null,
          threshold: spec.threshold ?? null,
          sustain_minutes: spec.sustainMinutes ?? null,
          created_at: now,
        });
        if (inserted) {
          const events = spec.event ? [alertEvent(spec.event.type, spec.event.app, inserted, now)] : [];
          return { value: { alert: inserted, created: true }, events };
        }
        // Another caller's alert holds the index (committed: the INSERT waited for it). Read it.
        const existing = await findActiveAlert(db, spec.userId, spec.sourceType, spec.sourceId);
        return { value: existing && { alert: existing, created: false }, events: [] };
      });
      if (result) return result;
      // Resolved between the two statements: insert again.
      if (attempt >= EMIT_ATTEMPTS)
        throw new Error(
          `alert for ${spec.sourceType}/${spec.sourceId} kept being resolved while emitting (${attempt} attempts)`,
        );
    }
  }

  /**
   * Resolves the source's active alert, stamping resolved_at, and returns
   * what this call resolved ([] when nothing was active or a concurrent call
   * won). Publishes `alert.resolved` for each, about `app` when given, else
   * about the alert's app as read now; an alert without an app publishes
   * nothing (an event is always about an app).
   */
  resolveBySource(userId: number, sourceType: string, sourceId: string, app?: EventApp): Promise<AlertRow[]> {
    const now = this.opts.now();
    return this.write(async (db) => {
      const resolved = await resolveActiveAlertsBySource(db, userId, sourceType, sourceId, now);
      const events: PlatformEvent[] = [];
      for (const alert of resolved) {
        const about = app ?? (await eventApp(db, alert.app_id));
        if (about) events.push(alertEvent("alert.resolved", about, alert, now));
      }
      return { value: resolved, events };
    });
  }

  /**
   * Runs `work` and publishes the events it returns: inside one transaction
   * with them when the publisher is transactional, else after `work`'s
   * statements have committed on their own.
   */
  private async write<T>(
    work: (db: Kysely<DB>) => Promise<{ value: T; events: PlatformEvent[] }>,
  ): Promise<T> {
    const publisher = this.opts.publisher;
    if (isTransactionalPublisher(publisher))
      return this.opts.db.transaction().execute(async (trx) => {
        const { value, events } = await work(trx);
        for (const event of events) await publisher.publishInTx(trx, event);
        return value;
      });
    const { value, events } = await work(this.opts.db);
    for (const event of events) publisher.publish(event);
    return value;
  }
}

async function eventApp(db: Kysely<DB>, appId: number | null): Promise<EventApp | undefined> {
  if (appId === null) return undefined;
  const app = await findAppById(db, appId);
  return app && { id: app.id, name: app.name, slug: app.slug, user_id: app.user_id };
}

function alertEvent(type: EventType, app: EventApp, alert: AlertRow, time: Date): PlatformEvent {
  return {
    type,
    app,
    alert: {
      id: alert.id,
      kind: alert.kind,
      value: alert.value,
      threshold: alert.threshold,
      sustain_minutes: alert.sustain_minutes,
    },
    ...(alert.message ? { reason: alert.message } : {}),
    time,
  };
}
