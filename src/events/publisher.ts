import type { Kysely } from "kysely";
import type { DB } from "../db/schema.js";

/**
 * The platform's event catalogue and the publisher port. Parts that cause an
 * event (the hub, the scheduler, the alert poller) are given a Publisher;
 * the webhook dispatcher implements it. Until that exists, main injects
 * NoopPublisher (never a global).
 */
export const EVENT_TYPES = [
  "deployment.succeeded",
  "deployment.failed",
  "app.stopped",
  "app.violation",
  "app.crashloop",
  "app.cpu",
  "app.memory",
  "app.network",
  "app.disk",
  "app.offline",
  "alert.resolved",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface EventApp {
  id: number;
  name: string;
  slug: string;
  user_id: number;
}

export interface EventDeployment {
  id: number;
  commit_sha: string | null;
  commit_message: string | null;
}

export interface EventAlert {
  id: number;
  kind: string;
  value: number | null;
  threshold: number | null;
  sustain_minutes: number | null;
}

export interface PlatformEvent {
  type: EventType;
  app: EventApp;
  deployment?: EventDeployment;
  alert?: EventAlert;
  /** Why, in words a user can act on (a job's error, a violation's reason). */
  reason?: string;
  time: Date;
}

export interface Publisher {
  /** Hands an event over for delivery; never throws, never blocks on the network. */
  publish(event: PlatformEvent): void;
}

/**
 * A publisher that can also write an event inside the caller's transaction
 * (an outbox): the deliveries commit or roll back with the change that
 * caused the event, so a crash between the change and the send loses
 * nothing. `trx` is the caller's transaction handle; the call uses only it
 * (DESIGN.md 3) and rejects when the write fails, which the caller lets roll
 * the transaction back or catches. The webhook dispatcher implements it.
 */
export interface TransactionalPublisher extends Publisher {
  publishInTx(trx: Kysely<DB>, event: PlatformEvent): Promise<void>;
  /** Nudges delivery once the caller's transaction has committed (else it waits for the next poll). */
  wake?(): void;
}

/**
 * Publishes `event` through the outbox inside `trx` when the publisher has
 * one; otherwise returns a function that publishes it, for the caller to run
 * after its commit. Either way the caller calls the returned function after
 * commit (it wakes the outbox's delivery loop, or publishes).
 */
export async function publishWithin(
  publisher: Publisher,
  trx: Kysely<DB>,
  event: PlatformEvent,
): Promise<() => void> {
  if (isTransactionalPublisher(publisher)) {
    await publisher.publishInTx(trx, event);
    return () => publisher.wake?.();
  }
  return () => publisher.publish(event);
}

export function isTransactionalPublisher(p: Publisher): p is TransactionalPublisher {
  return typeof (p as Partial<TransactionalPublisher>).publishInTx === "function";
}

export class NoopPublisher implements Publisher {
  publish(): void {}
}

/** A publisher that keeps what it was given (tests). */
export class RecordingPublisher implements Publisher {
  readonly events: PlatformEvent[] = [];
  publish(event: PlatformEvent): void {
    this.events.push(event);
  }
}
