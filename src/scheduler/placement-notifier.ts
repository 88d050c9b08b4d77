import type { Kysely } from "kysely";
import type { Database } from "../db/database.js";
import type { DB } from "../db/schema.js";
import { IdListener, notifyIds, type IdListenerLogger } from "./id-channel.js";

/**
 * Cross-replica word that an app's placement may have changed (DESIGN.md 1,
 * scale-out): the transaction of a completed job_result about the app (any
 * job type), or of stuck-job recovery failing its deploy, NOTIFYs this
 * channel with the app's id, and every replica drops what its
 * connections cached about which worker the app is on (Hub.forgetApp). A
 * lost notification only leaves the cached answer to its TTL
 * (OWNERSHIP_TTL_MS).
 */
export const PLACEMENT_CHANNEL = "wisehosting_placement";

/**
 * Sends one notification per distinct app id on PLACEMENT_CHANNEL, in one
 * statement. Call it with the transaction that may have changed the
 * placement or a reservation (delivered on commit, never on rollback). Throws a RangeError
 * for an id that is not a positive safe integer.
 */
export function notifyPlacementChanged(db: Kysely<DB>, appIds: readonly number[]): Promise<void> {
  return notifyIds(db, PLACEMENT_CHANNEL, appIds, "app");
}

export interface PlacementNotifierOptions {
  db: Database;
  /** Called with the app id of every well-formed notification, from any replica (this one included). Must not block. */
  onPlacementChanged: (appId: number) => void;
  log: IdListenerLogger;
}

/** LISTENs on PLACEMENT_CHANNEL and hands each app id to onPlacementChanged (IdListener's contract). */
export class PlacementNotifier extends IdListener {
  constructor(opts: PlacementNotifierOptions) {
    super({
      name: "placement-notifier",
      db: opts.db,
      channel: PLACEMENT_CHANNEL,
      topic: "placement",
      onId: opts.onPlacementChanged,
      log: opts.log,
    });
  }
}
