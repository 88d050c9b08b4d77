import { sql, type Kysely } from "kysely";
import type { DB } from "../db/schema.js";
import type { Service } from "../lifecycle.js";
import { Loop, type LoopLogger } from "../loop.js";
import type { HeartbeatPayload } from "../protocol/messages-worker.js";

export const HEARTBEAT_FLUSH_INTERVAL_MS = 1000;

interface Beat {
  /** Epoch ms. */
  at: number;
  runningApps: number;
  agentVersion: string;
}

export interface HeartbeatBatcherOptions {
  db: Kysely<DB>;
  log: LoopLogger;
  now?: () => Date;
  intervalMs?: number;
}

/**
 * Keeps worker liveness in memory and writes it in one statement per flush
 * (every second): `last_heartbeat`, `status = 'online'`, `running_apps` and
 * `agent_version` for every worker that beat since the last flush. 10,000
 * workers beating every 30 s cost one UPDATE a second, not 333.
 * stop() flushes what is pending.
 */
export class HeartbeatBatcher implements Service {
  readonly name = "heartbeat-batcher";
  private pending = new Map<number, Beat>();
  private readonly loop: Loop<number>;
  /** Epoch ms (no Date per beat unless a test clock is given). */
  private readonly nowMs: () => number;

  constructor(private readonly opts: HeartbeatBatcherOptions) {
    const now = opts.now;
    this.nowMs = now ? (): number => now().getTime() : Date.now;
    this.loop = new Loop({
      name: this.name,
      intervalMs: opts.intervalMs ?? HEARTBEAT_FLUSH_INTERVAL_MS,
      log: opts.log,
      tick: () => this.flush(),
    });
  }

  /**
   * Records a heartbeat; the latest one per worker wins. A worker that beats
   * again before the flush has its pending beat overwritten in place, so
   * beats allocate at most one object per worker per flush.
   */
  beat(workerId: number, payload: HeartbeatPayload): void {
    const at = this.nowMs();
    const beat = this.pending.get(workerId);
    if (!beat) {
      this.pending.set(workerId, {
        at,
        runningApps: payload.running_apps,
        agentVersion: payload.agent_version,
      });
      return;
    }
    beat.at = at;
    beat.runningApps = payload.running_apps;
    beat.agentVersion = payload.agent_version;
  }

  /** Writes pending heartbeats in one UPDATE; returns how many workers it covered. */
  async flush(): Promise<number> {
    if (this.pending.size === 0) return 0;
    const batch = this.pending;
    this.pending = new Map();
    const ids: number[] = [];
    const ats: string[] = [];
    const running: number[] = [];
    const versions: string[] = [];
    for (const [id, beat] of batch) {
      ids.push(id);
      ats.push(new Date(beat.at).toISOString());
      running.push(beat.runningApps);
      versions.push(beat.agentVersion);
    }
    try {
      await sql`
        UPDATE workers AS w
        SET last_heartbeat = GREATEST(v.at, w.last_heartbeat),
            status = 'online',
            running_apps = v.running_apps,
            agent_version = v.agent_version
        FROM unnest(${ids}::int[], ${ats}::timestamptz[], ${running}::int[], ${versions}::text[])
          AS v(id, at, running_apps, agent_version)
        WHERE w.id = v.id
      `.execute(this.opts.db);
    } catch (err) {
      // Put the beats back (newer ones win) so a failed write is retried next tick.
      for (const [id, beat] of batch) if (!this.pending.has(id)) this.pending.set(id, beat);
      throw err;
    }
    return ids.length;
  }

  start(): Promise<void> {
    return this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.flush();
  }
}
