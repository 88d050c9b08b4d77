import { sql, type Kysely } from "kysely";
import type { Database } from "../db/database.js";
import type { DB } from "../db/schema.js";
import type { Service } from "../lifecycle.js";

/**
 * Cross-replica hints carried as ids on a NOTIFY channel (DESIGN.md 1,
 * scale-out): one replica NOTIFYs inside the transaction that made a
 * change, every replica (itself included) LISTENs and reacts. Delivery is at
 * most once (see Database.listen), so what a hint triggers must also happen
 * without it, only later: a replay on connect, a cache's TTL.
 */

/** A payload is an id in plain decimal: no sign, no leading zero, no spaces. */
const PAYLOAD_PATTERN = /^[1-9][0-9]{0,15}$/;

/**
 * Sends one notification per distinct id on `channel`, in one statement.
 * Call it with the transaction that made the change: Postgres delivers
 * notifications only when that transaction commits, and never if it rolls
 * back, so a listener never acts on a change it cannot see yet. `idName`
 * names the ids in the error: a RangeError for one that is not a positive
 * safe integer, before anything is sent.
 */
export async function notifyIds(
  db: Kysely<DB>,
  channel: string,
  ids: readonly number[],
  idName: string,
): Promise<void> {
  const distinct = [...new Set(ids)].sort((a, b) => a - b);
  if (distinct.length === 0) return;
  for (const id of distinct) {
    if (!Number.isSafeInteger(id) || id <= 0) throw new RangeError(`invalid ${idName} id ${id}`);
  }
  await sql`
    SELECT pg_notify(${channel}, x.id::text) FROM unnest(${distinct}::bigint[]) AS x(id)
  `.execute(db);
}

/** Parses a payload sent by notifyIds; undefined when it is not an id. */
export function parseIdPayload(payload: string): number | undefined {
  if (!PAYLOAD_PATTERN.test(payload)) return undefined;
  const id = Number(payload);
  return Number.isSafeInteger(id) ? id : undefined;
}

export interface IdListenerLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface IdListenerOptions {
  /** The service's name (lifecycle logs). */
  name: string;
  db: Database;
  /** Must match CHANNEL_PATTERN. */
  channel: string;
  /** What the notifications are about, for the log lines ("job", "placement"). */
  topic: string;
  /**
   * Called with the id of every well-formed notification, from any replica
   * (this one included). Must not block; a throw is logged and the listener
   * goes on.
   */
  onId: (id: number) => void;
  log: IdListenerLogger;
}

/**
 * LISTENs on one channel and hands each id to onId; a malformed payload is
 * logged (its first 100 characters) and dropped. start() resolves once
 * listening; stop() unlistens, and after it resolves onId is not called
 * again. Both are idempotent; stop() is safe before start(), and start()
 * after stop() listens again.
 */
export class IdListener implements Service {
  readonly name: string;
  /** Resolves to the unlisten function while started (or starting). */
  private listening: Promise<() => Promise<void>> | undefined;
  /** The last stop's unlisten, which a concurrent stop() waits for too. */
  private stopping: Promise<void> = Promise.resolve();

  constructor(private readonly opts: IdListenerOptions) {
    this.name = opts.name;
  }

  start(): Promise<void> {
    const listening = (this.listening ??= this.opts.db.listen(this.opts.channel, (payload) =>
      this.onPayload(payload),
    ));
    return listening.then(
      () => undefined,
      (err: unknown) => {
        // A failed start leaves the listener stopped, so start() can be retried.
        if (this.listening === listening) this.listening = undefined;
        throw err;
      },
    );
  }

  stop(): Promise<void> {
    const listening = this.listening;
    if (listening === undefined) return this.stopping;
    this.listening = undefined;
    this.stopping = listening.then(
      (unlisten) => unlisten(),
      () => undefined,
    );
    return this.stopping;
  }

  private onPayload(payload: string): void {
    const id = parseIdPayload(payload);
    if (id === undefined) {
      this.opts.log.warn(
        { channel: this.opts.channel, payload: payload.slice(0, 100) },
        `ignoring a malformed ${this.opts.topic} notification`,
      );
      return;
    }
    try {
      this.opts.onId(id);
    } catch (err) {
      this.opts.log.error({ err, id }, `${this.opts.topic} notification handler failed`);
    }
  }
}
