import type { Me } from "../../api/types";
import { formatPercent } from "../../format";

/**
 * Pure display of the apps area's numbers: live stats (CPU is a percentage
 * of one CPU, as the worker reports it), deployment durations and what the
 * plan has left.
 */

/** 12.5 → "12.5 %" (of one CPU). */
export function formatCpuPct(cpuPct: number | null | undefined): string {
  return formatPercent(cpuPct === null || cpuPct === undefined ? cpuPct : cpuPct / 100);
}

/** The share of its CPU limit the app uses, 0–1 (a container can burst a little past it). */
export function cpuOfLimit(cpuPct: number, cpuMillicores: number): number {
  if (!(cpuMillicores > 0) || !Number.isFinite(cpuPct)) return 0;
  return Math.max(0, cpuPct / (cpuMillicores / 10));
}

/** "42 s", "3 min 5 s", "2 h 7 min" between two times; "–" when `from` is missing or after `to`. */
export function formatDuration(fromIso: string | null, toIso: string | null, now: Date): string {
  if (!fromIso) return "–";
  const from = new Date(fromIso).getTime();
  const to = toIso ? new Date(toIso).getTime() : now.getTime();
  if (!Number.isFinite(from) || !Number.isFinite(to) || to < from) return "–";
  const s = Math.round((to - from) / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export interface PlanRoom {
  apps: number;
  cpu_millicores: number;
  memory_mb: number;
}

/** What the plan has left for a new app (never below zero). */
export function planRoom(me: Pick<Me, "plan" | "usage">): PlanRoom {
  return {
    apps: Math.max(0, me.plan.max_apps - me.usage.apps),
    cpu_millicores: Math.max(0, me.plan.max_cpu_millicores - me.usage.cpu_millicores),
    memory_mb: Math.max(0, me.plan.max_memory_mb - me.usage.memory_mb),
  };
}
