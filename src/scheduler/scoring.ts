/**
 * Placement scoring, pure. A worker's score after taking a job is
 *
 *   0.45 × CPU utilisation + 0.45 × memory utilisation + 0.10 × app load
 *
 * where utilisation is (used + needed) / total on that resource (0..1) and
 * app load is min(running apps / 50, 1). Lower is better: the job goes to the
 * least loaded worker that fits, so load spreads out, and CPU and memory
 * weigh the same because either one running out blocks a placement. The app
 * count breaks near-ties in favour of a worker running fewer containers
 * (fewer noisy neighbours, faster restarts). Equal scores go to the lower id,
 * so a placement is deterministic for a given state.
 */
export const SCORE_WEIGHTS = { cpu: 0.45, memory: 0.45, apps: 0.1 } as const;
/** Running apps at which the app-load term saturates. */
export const APP_LOAD_SATURATION = 50;

export interface WorkerCapacity {
  id: number;
  zone: string;
  cpuMillicores: number;
  memoryMb: number;
  usedCpuMillicores: number;
  usedMemoryMb: number;
  runningApps: number;
}

export interface Need {
  cpuMillicores: number;
  memoryMb: number;
  /** Only workers of this zone qualify, when set. */
  zone: string | null;
}

export function fits(w: WorkerCapacity, need: Need): boolean {
  return (
    (need.zone === null || w.zone === need.zone) &&
    w.usedCpuMillicores + need.cpuMillicores <= w.cpuMillicores &&
    w.usedMemoryMb + need.memoryMb <= w.memoryMb
  );
}

export function scoreWorker(w: WorkerCapacity, need: Need): number {
  const cpu = (w.usedCpuMillicores + need.cpuMillicores) / w.cpuMillicores;
  const mem = (w.usedMemoryMb + need.memoryMb) / w.memoryMb;
  const apps = Math.min(w.runningApps / APP_LOAD_SATURATION, 1);
  return SCORE_WEIGHTS.cpu * cpu + SCORE_WEIGHTS.memory * mem + SCORE_WEIGHTS.apps * apps;
}

/** The eligible worker with the lowest score, or undefined when none fits. */
export function pickWorker(workers: Iterable<WorkerCapacity>, need: Need): WorkerCapacity | undefined {
  let best: WorkerCapacity | undefined;
  let bestScore = Infinity;
  for (const w of workers) {
    if (!fits(w, need)) continue;
    const s = scoreWorker(w, need);
    if (s < bestScore || (s === bestScore && best !== undefined && w.id < best.id)) {
      best = w;
      bestScore = s;
    }
  }
  return best;
}
