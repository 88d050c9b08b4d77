import { statfs } from "node:fs/promises";
import os from "node:os";

import type { AppStatsEntry, HeartbeatPayload } from "../protocol/messages-worker.js";
import type { ContainerRegistry } from "./registry.js";
import type { ContainerRuntime } from "./runtime/runtime.js";

const MIB = 1024 * 1024;

/** What the host reports about itself; injectable so tests get fixed numbers. */
export interface HostProbe {
  loadavg(): number[];
  cpuCount(): number;
  totalmem(): number;
  freemem(): number;
  /** Total and free bytes of the file system holding `dir`. */
  disk(dir: string): Promise<{ totalBytes: number; freeBytes: number }>;
}

export const osHostProbe: HostProbe = {
  loadavg: () => os.loadavg(),
  cpuCount: () => os.cpus().length || 1,
  totalmem: () => os.totalmem(),
  freemem: () => os.freemem(),
  disk: async (dir) => {
    const s = await statfs(dir);
    return { totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
  },
};

/**
 * The heartbeat's host numbers: CPU as the 1-minute load average over the CPU
 * count (capped at 100 %), memory and the data dir's disk in MiB. A disk
 * that cannot be read reports zeros rather than failing the heartbeat.
 */
export async function hostHeartbeat(o: {
  probe: HostProbe;
  dataDir: string;
  runningApps: number;
  agentVersion: string;
  uptimeS: number;
}): Promise<HeartbeatPayload> {
  const { probe } = o;
  const load = probe.loadavg()[0] ?? 0;
  const cpuPct = Math.min(100, Math.max(0, (load / probe.cpuCount()) * 100));
  const total = probe.totalmem();
  const disk = await probe.disk(o.dataDir).catch(() => ({ totalBytes: 0, freeBytes: 0 }));
  return {
    cpu_pct: round2(cpuPct),
    mem_used_mb: Math.max(0, Math.round((total - probe.freemem()) / MIB)),
    mem_total_mb: Math.round(total / MIB),
    disk_used_mb: Math.max(0, Math.round((disk.totalBytes - disk.freeBytes) / MIB)),
    disk_total_mb: Math.round(disk.totalBytes / MIB),
    running_apps: o.runningApps,
    agent_version: o.agentVersion,
    uptime_s: Math.max(0, Math.round(o.uptimeS)),
  };
}

interface Previous {
  at: number;
  net: number;
  block: number;
  mem: number;
  memLimit: number;
}

/** A SIGKILLed container whose last sample used at least this share of its memory limit was killed for it. */
export const NEAR_MEMORY_LIMIT = 0.9;

/**
 * Samples the managed containers' stats into `app_stats` entries, one per
 * app (containers of one app, e.g. during a start-first switch, are summed).
 * Rates come from the difference of the runtime's running totals between two
 * samples of the same container over the clock's elapsed time; a first
 * sample, or a total that went down (the container restarted), rates 0.
 */
export class AppStatsSampler {
  readonly #runtime: ContainerRuntime;
  readonly #registry: ContainerRegistry;
  readonly #now: () => number;
  readonly #prev = new Map<string, Previous>();

  constructor(o: { runtime: ContainerRuntime; registry: ContainerRegistry; now?: () => number }) {
    this.#runtime = o.runtime;
    this.#registry = o.registry;
    this.#now = o.now ?? Date.now;
  }

  async sample(): Promise<AppStatsEntry[]> {
    const managed = this.#registry.all();
    if (managed.length === 0) {
      this.#prev.clear();
      return [];
    }
    const samples = await this.#runtime.stats(managed.map((c) => c.id));
    const at = this.#now();
    const byApp = new Map<number, AppStatsEntry>();
    const seen = new Set<string>();
    for (const s of samples) {
      const c = this.#registry.get(s.id);
      if (!c) continue;
      seen.add(s.id);
      const prev = this.#prev.get(s.id);
      this.#prev.set(s.id, {
        at,
        net: s.netTotalBytes,
        block: s.blockTotalBytes,
        mem: s.memBytes,
        memLimit: s.memLimitBytes,
      });
      const seconds = prev ? (at - prev.at) / 1000 : 0;
      const rate = (now: number, before: number | undefined): number =>
        before === undefined || seconds <= 0 || now < before ? 0 : (now - before) / seconds;
      const entry = byApp.get(c.appId) ?? {
        app_id: c.appId,
        cpu_pct: 0,
        mem_bytes: 0,
        mem_limit_bytes: 0,
        net_mbps: 0,
        net_total_bytes: 0,
        disk_mbps: 0,
      };
      entry.cpu_pct = round2(entry.cpu_pct + nonNegative(s.cpuPct));
      entry.mem_bytes += Math.round(nonNegative(s.memBytes));
      entry.mem_limit_bytes += Math.round(nonNegative(s.memLimitBytes));
      entry.net_mbps = round2(entry.net_mbps + (rate(s.netTotalBytes, prev?.net) * 8) / 1e6);
      entry.net_total_bytes += Math.round(nonNegative(s.netTotalBytes));
      entry.disk_mbps = round2(entry.disk_mbps + rate(s.blockTotalBytes, prev?.block) / 1e6);
      byApp.set(c.appId, entry);
    }
    // A container that died stays known while it is managed, so its last memory use can be judged.
    for (const id of this.#prev.keys()) if (!seen.has(id) && !this.#registry.get(id)) this.#prev.delete(id);
    return [...byApp.values()];
  }

  /**
   * True when the container's last sample used at least NEAR_MEMORY_LIMIT of
   * its memory limit: how an OOM kill is told from another SIGKILL where the
   * runtime does not report it (cgroup v1 shows it only as exit 137).
   */
  nearMemoryLimit(id: string): boolean {
    const p = this.#prev.get(id);
    return p !== undefined && p.memLimit > 0 && p.mem >= NEAR_MEMORY_LIMIT * p.memLimit;
  }
}

function nonNegative(n: number): number {
  return Number.isFinite(n) && n > 0 ? n : 0;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
