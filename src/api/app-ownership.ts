import { sql, type Kysely } from "kysely";
import type { DB } from "../db/schema.js";

/** How long an answer about one app is trusted before it is asked again. */
export const OWNERSHIP_TTL_MS = 5000;

export interface AppOwnershipOptions {
  db: Kysely<DB>;
  workerId: number;
  now?: () => number;
  ttlMs?: number;
}

/**
 * Which apps are on one worker: the app's placement (`apps.worker_id`) or a
 * live reservation of one of its deployments there (the new container of a
 * start-first redeploy on another worker). Answers are cached per app for a
 * few seconds, positive and negative alike, so a stream of stats or log
 * lines costs at most one query per app per TTL, and a worker naming foreign
 * apps cannot make every message a query.
 */
export class AppOwnership {
  private readonly cache = new Map<number, { owned: boolean; at: number }>();
  private readonly now: () => number;
  private readonly ttlMs: number;

  constructor(private readonly opts: AppOwnershipOptions) {
    this.now = opts.now ?? Date.now;
    this.ttlMs = opts.ttlMs ?? OWNERSHIP_TTL_MS;
  }

  /**
   * The subset of appIds that are on this worker, answered from the cache
   * alone; undefined when any of them has no fresh answer (then ask `owned`).
   * Same answers as `owned` would give at this instant, without a promise.
   */
  ownedIfKnown(appIds: readonly number[]): Set<number> | undefined {
    const now = this.now();
    const result = new Set<number>();
    for (const id of appIds) {
      const hit = this.cache.get(id);
      if (!hit || now - hit.at >= this.ttlMs) return undefined;
      if (hit.owned) result.add(id);
    }
    return result;
  }

  /** The subset of appIds that are on this worker. */
  async owned(appIds: Iterable<number>): Promise<Set<number>> {
    const now = this.now();
    const result = new Set<number>();
    const unknown: number[] = [];
    for (const id of new Set(appIds)) {
      const hit = this.cache.get(id);
      if (hit && now - hit.at < this.ttlMs) {
        if (hit.owned) result.add(id);
      } else unknown.push(id);
    }
    if (unknown.length === 0) return result;
    const rows = await sql<{ id: number }>`
      SELECT id FROM apps WHERE worker_id = ${this.opts.workerId} AND id = ANY(${unknown}::int[])
      UNION
      SELECT app_id FROM deployments
        WHERE worker_id = ${this.opts.workerId} AND reserved AND app_id = ANY(${unknown}::int[])
    `.execute(this.opts.db);
    const found = new Set(rows.rows.map((r) => r.id));
    for (const id of unknown) {
      this.cache.set(id, { owned: found.has(id), at: now });
      if (found.has(id)) result.add(id);
    }
    if (this.cache.size > 10_000) this.sweep(now);
    return result;
  }

  /** Forgets everything (after a job result moved apps on or off this worker). */
  invalidate(): void {
    this.cache.clear();
  }

  private sweep(now: number): void {
    for (const [id, e] of this.cache) if (now - e.at >= this.ttlMs) this.cache.delete(id);
  }
}
