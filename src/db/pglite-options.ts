/**
 * Memory settings for the embedded database. PGlite's defaults (128 MB shared
 * buffers) idle near 300 MB RSS; these keep the control plane's embedded mode
 * well under that, which is plenty for one replica's working set.
 */
export const PGLITE_POSTGRESQL_CONF: readonly string[] = [
  "shared_buffers=16MB",
  "work_mem=2MB",
  "maintenance_work_mem=16MB",
  "temp_buffers=2MB",
  "wal_buffers=1MB",
];

/** int8 as a JS number (counts and sums stay far below 2^53 here). */
export const INT8_OID = 20;
export function parseInt8(value: string): number {
  return Number(value);
}
