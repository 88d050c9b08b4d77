import { sql, type Kysely } from "kysely";
import type { DB } from "../db/schema.js";

/**
 * How long an answer about one app is trusted before it is asked again:
 * three stats intervals, so a worker reporting every 10 s has its answers
 * refreshed in the background (at REFRESH_AHEAD of this) and its app_stats
 * never wait on a query. A job completed through this replica forgets the
 * app's answers at once (Hub.forgetApp, and the completing connection's own
 * invalidate); one completed or failed elsewhere does so when its
 * PLACEMENT_CHANNEL notification arrives. This TTL bounds how long a change
 * takes to show when that notification is lost.
 */
export const OWNERSHIP_TTL_MS = 30_000;
/**
 * Lookups waiting that make a batch go out without waiting for the end of
 * the event-loop turn. Not much smaller: the statement scans apps whatever
 * the batch's size, so 64 (2,000 workers' refreshes in 31 statements) cost
 * 3-4× the database CPU of the same lookups in a few large batches.
 */
const FLUSH_AT = 512;
/** Share of the TTL after which an answer still in use is refreshed in the background. */
const REFRESH_AHEAD = 0.6;

export interface AppOwnershipOptions {
  db: Kysely<DB>;
  workerId: number;
  now?: () => number;
  ttlMs?: number;
  /** Shared by the hub's connections so their lookups batch; one of its own otherwise. */
  query?: OwnershipQuery;
}

interface Lookup {
  workerId: number;
  appIds: number[];
  resolve: (owned: Set<number>) => void;
  reject: (err: unknown) => void;
}

/**
 * The database side of AppOwnership, batched across connections: lookups
 * made while the event loop is busy (or while a batch is in flight) go out
 * together as one statement at the next turn. Each lookup gets exactly the
 * answer its own query would have given at that moment: the statement is
 * given every (worker, app) pair the batch asks about and returns those that
 * are NOT owned, and each lookup keeps its apps that did not come back.
 */
export class OwnershipQuery {
  private pending: Lookup[] = [];
  private scheduled = false;
  private running = false;

  constructor(private readonly db: Kysely<DB>) {}

  /** The subset of appIds placed on, or reserved by a deployment on, the worker. */
  owned(workerId: number, appIds: number[]): Promise<Set<number>> {
    return new Promise((resolve, reject) => {
      this.pending.push({ workerId, appIds, resolve, reject });
      this.schedule();
    });
  }

  /**
   * A batch goes out at the end of this event-loop turn (setImmediate), or
   * at once when FLUSH_AT lookups are waiting: under a flood one turn reads
   * every socket with data and can last seconds, and every connection
   * waiting on its answer holds its messages that long.
   */
  private schedule(): void {
    if (this.running || this.pending.length === 0) return;
    if (this.pending.length >= FLUSH_AT) {
      void this.flush();
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.running && this.pending.length > 0) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.running = true;
    const batch = this.pending;
    this.pending = [];
    try {
      const workerIds: number[] = [];
      const appIds: number[] = [];
      for (const l of batch) {
        for (const id of l.appIds) {
          workerIds.push(l.workerId);
          appIds.push(id);
        }
      }
      const foreign = await unownedPairs(this.db, workerIds, appIds);
      for (const l of batch) {
        const notMine = foreign.get(l.workerId);
        l.resolve(new Set(notMine ? l.appIds.filter((id) => !notMine.has(id)) : l.appIds));
      }
    } catch (err) {
      for (const l of batch) l.reject(err);
    } finally {
      this.running = false;
      this.schedule();
    }
  }
}

/**
 * Of the pairs (workerIds[i], appIds[i]), those where the app is neither
 * placed on the worker nor reserved by one of its deployments there, as
 * worker id → app ids. Asked this way round because in the steady state
 * every app a worker reports is its own: the answer is empty, where the
 * owned pairs cost a row each to build, send and read (4-5× the time of
 * the whole statement for 2,000 workers' 20,000 apps on the embedded
 * database).
 */
async function unownedPairs(
  db: Kysely<DB>,
  workerIds: number[],
  appIds: number[],
): Promise<Map<number, Set<number>>> {
  const rows = await sql<{ app_id: number; worker_id: number }>`
    SELECT q.app_id, q.worker_id FROM unnest(${workerIds}::int[], ${appIds}::int[]) AS q(worker_id, app_id)
      WHERE NOT EXISTS (SELECT 1 FROM apps a WHERE a.id = q.app_id AND a.worker_id = q.worker_id)
        AND NOT EXISTS (
          SELECT 1 FROM deployments d WHERE d.app_id = q.app_id AND d.worker_id = q.worker_id AND d.reserved
        )
  `.execute(db);
  const pairs = new Map<number, Set<number>>();
  for (const r of rows.rows) {
    let apps = pairs.get(r.worker_id);
    if (!apps) pairs.set(r.worker_id, (apps = new Set()));
    apps.add(r.app_id);
  }
  return pairs;
}

/** A cached answer, or (known false) a forgotten app's tombstone. */
interface Answer {
  owned: boolean;
  /** When the answer was asked (or the app forgotten). */
  at: number;
  known: boolean;
}

/**
 * Which apps are on one worker: the app's placement (`apps.worker_id`) or a
 * live reservation of one of its deployments there (the new container of a
 * start-first redeploy on another worker). Answers are cached per app for
 * OWNERSHIP_TTL_MS, positive and negative alike, so a stream of stats or log
 * lines costs at most one query per app per TTL, and a worker naming foreign
 * apps cannot make every message a query. `forget` and `invalidate` drop
 * answers, and no answer asked before them is cached after.
 *
 * An answer is never used once it is ttlMs old (its age counts from before
 * its query). So that a busy connection does not stall on the refresh,
 * `allOwnedIfKnown` asks again in the background once an answer it serves is
 * REFRESH_AHEAD of its TTL old. What a lookup begun before `forget(app)`
 * learnt about that app, or before `invalidate` about any, is not kept;
 * its answers about other apps are (every replica forgets an app on each
 * job it completes, which must not throw away the refreshes of the rest).
 */
export class AppOwnership {
  private readonly cache = new Map<number, Answer>();
  private readonly now: () => number;
  private readonly ttlMs: number;
  private readonly query: OwnershipQuery;
  /** Bumped by `invalidate`, so a lookup begun earlier writes nothing back. */
  private generation = 0;
  /** Lookups in flight (refreshes and `owned`): while there are any, `forget` leaves a tombstone. */
  private inFlight = 0;
  private refreshing = false;

  constructor(private readonly opts: AppOwnershipOptions) {
    this.now = opts.now ?? Date.now;
    this.ttlMs = opts.ttlMs ?? OWNERSHIP_TTL_MS;
    this.query = opts.query ?? new OwnershipQuery(opts.db);
  }

  /**
   * From the cache alone, whether every app named is on this worker: true
   * when each has a fresh answer and all are owned, false when each has a
   * fresh answer and at least one is not, undefined when any has no fresh
   * answer (then ask `owned`). The verdict `owned` would give at this
   * instant, with no promise, set or id list: it takes the entries
   * themselves (anything with an `app_id`), which is what keeps the
   * app_stats path free of allocations.
   */
  allOwnedIfKnown(entries: readonly { readonly app_id: number }[]): boolean | undefined {
    const now = this.now();
    let all = true;
    let ageing = false;
    for (const { app_id: id } of entries) {
      const hit = this.cache.get(id);
      if (!hit || !hit.known || now - hit.at >= this.ttlMs) return undefined;
      if (now - hit.at >= this.ttlMs * REFRESH_AHEAD) ageing = true;
      if (!hit.owned) all = false;
    }
    if (ageing && !this.refreshing)
      this.refresh(
        entries.map((e) => e.app_id),
        now,
      );
    return all;
  }

  /** Asks again for appIds in the background; the answers count from `now`, before the query. */
  private refresh(appIds: readonly number[], now: number): void {
    const ids = [...new Set(appIds)];
    const generation = this.generation;
    this.refreshing = true;
    this.inFlight++;
    this.query
      .owned(this.opts.workerId, ids)
      .then(
        (found) => {
          if (generation !== this.generation) return;
          for (const id of ids) this.remember(id, found.has(id), now);
        },
        // Nothing is written: the answers expire and the next lookup queries (and fails) in the open.
        () => undefined,
      )
      .finally(() => {
        this.refreshing = false;
        this.inFlight--;
      });
  }

  /** The subset of appIds that are on this worker. */
  async owned(appIds: Iterable<number>): Promise<Set<number>> {
    const now = this.now();
    const result = new Set<number>();
    const unknown: number[] = [];
    for (const id of new Set(appIds)) {
      const hit = this.cache.get(id);
      if (hit && hit.known && now - hit.at < this.ttlMs) {
        if (hit.owned) result.add(id);
      } else unknown.push(id);
    }
    if (unknown.length === 0) return result;
    const generation = this.generation;
    this.inFlight++;
    let found: Set<number>;
    try {
      found = await this.query.owned(this.opts.workerId, unknown);
    } finally {
      this.inFlight--;
    }
    // An answer asked before a forget or invalidate is this call's to use, not the cache's to keep.
    const keep = generation === this.generation;
    for (const id of unknown) {
      if (keep) this.remember(id, found.has(id), now);
      if (found.has(id)) result.add(id);
    }
    if (this.cache.size > 10_000) this.sweep(now);
    return result;
  }

  /**
   * Records an answer asked at `at`, unless the cache holds a newer one or
   * the app was forgotten at or after `at` (a lookup begun in the same
   * millisecond as the forget may have begun before it). The app's entry is
   * overwritten in place: refreshes rewrite every app of every busy
   * connection every 18 s, and fresh objects would outlive the young
   * generation only to become old-generation garbage.
   */
  private remember(id: number, owned: boolean, at: number): void {
    const hit = this.cache.get(id);
    if (!hit) this.cache.set(id, { owned, at, known: true });
    else if (hit.known ? hit.at <= at : hit.at < at) {
      hit.owned = owned;
      hit.at = at;
      hit.known = true;
    }
  }

  /**
   * Forgets the answer about one app (its placement changed), so the next
   * message naming it asks again; a lookup already in flight keeps nothing
   * about it, and its answers about other apps stand.
   */
  forget(appId: number): void {
    if (this.inFlight === 0) {
      this.cache.delete(appId);
      return;
    }
    // A tombstone: no answer, and the time before which answers are stale (swept like any entry).
    const now = this.now();
    const hit = this.cache.get(appId);
    if (!hit) this.cache.set(appId, { owned: false, at: now, known: false });
    else {
      hit.owned = false;
      hit.at = now;
      hit.known = false;
    }
  }

  /** Forgets everything (after a job result moved apps on or off this worker). */
  invalidate(): void {
    this.generation++;
    this.cache.clear();
  }

  private sweep(now: number): void {
    for (const [id, e] of this.cache) if (now - e.at >= this.ttlMs) this.cache.delete(id);
  }
}
