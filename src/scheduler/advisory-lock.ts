import { sql, type Kysely, type Transaction } from "kysely";
import type { DB } from "../db/schema.js";

/**
 * Advisory-lock keys of the loops that only one control-plane replica may
 * run at a time. They share one 64-bit namespace: the high 32 bits spell
 * "wise" (0x77697365), the low 32 bits number the loop. A new loop takes the
 * next number; two loops never share a key.
 */
const LOCK_NAMESPACE = 0x7769_7365n << 32n;

/** Held by the tick of StuckJobRecovery (stuck-jobs.ts). */
export const STUCK_JOBS_LOCK_KEY: bigint = LOCK_NAMESPACE | 1n;
/** Held by the tick of WorkerHealthMonitor (worker-health.ts). */
export const WORKER_HEALTH_LOCK_KEY: bigint = LOCK_NAMESPACE | 2n;

/**
 * Runs `fn` in a transaction that holds the transaction-level advisory lock
 * `key`, and commits. When another session holds the lock (another replica
 * is running the same tick) it returns undefined at once, without waiting
 * and without running `fn`. The lock is released by the commit or rollback,
 * so a crashed replica never leaves it held.
 *
 * `fn` must use only `trx` (DESIGN.md 3): on PGlite a query on the outer
 * handle waits for this transaction forever. On PGlite (one session) the
 * lock is always acquired.
 */
export async function withTickLock<T>(
  db: Kysely<DB>,
  key: bigint | number,
  fn: (trx: Transaction<DB>) => Promise<T>,
): Promise<T | undefined> {
  return db.transaction().execute(async (trx) => {
    const { rows } = await sql<{
      locked: boolean;
    }>`SELECT pg_try_advisory_xact_lock(${BigInt(key).toString()}::bigint) AS locked`.execute(trx);
    if (rows[0]?.locked !== true) return undefined;
    return fn(trx);
  });
}
