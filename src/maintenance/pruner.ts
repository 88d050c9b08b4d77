import type { Kysely } from "kysely";
import type { DB } from "../db/schema.js";
import { prunePendingTotps } from "../db/pending-totps.js";
import { pruneRevokedSessions } from "../db/sessions.js";
import { Loop, type LoopLogger } from "../loop.js";
import type { Service } from "../lifecycle.js";

export const PRUNE_INTERVAL_MS = 6 * 60 * 60 * 1000;
/** Revoked or expired sessions are kept this long for audit, then deleted. */
export const SESSION_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

export interface PruneResult {
  sessions: number;
  pendingTotps: number;
}

export interface PrunerOptions {
  db: Kysely<DB>;
  log: LoopLogger & { info(obj: object, msg: string): void };
  now: () => Date;
  intervalMs?: number;
}

/**
 * The reference's 6-hour ticker: deletes sessions revoked (or expired) more
 * than 30 days ago and pending TOTP set-ups past their expiry. Runs once at
 * start, then every interval.
 */
export class Pruner implements Service {
  readonly name = "pruner";
  private readonly loop: Loop<PruneResult>;

  constructor(private readonly opts: PrunerOptions) {
    this.loop = new Loop({
      name: "pruner",
      intervalMs: opts.intervalMs ?? PRUNE_INTERVAL_MS,
      runImmediately: true,
      log: opts.log,
      tick: () => this.runOnce(),
    });
  }

  async runOnce(): Promise<PruneResult> {
    const now = this.opts.now();
    const sessions = await pruneRevokedSessions(this.opts.db, new Date(now.getTime() - SESSION_RETENTION_MS));
    const pendingTotps = await prunePendingTotps(this.opts.db, now);
    if (sessions + pendingTotps > 0) this.opts.log.info({ sessions, pendingTotps }, "pruned");
    return { sessions, pendingTotps };
  }

  start(): Promise<void> {
    return this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}
