import { describe, expect, it } from "vitest";
import type { LiveAppStats } from "../api/stats-store.js";
import type { AlertRuleKind } from "../db/schema.js";
import { metricValue, observe, step, type AppReading, type Streak } from "./evaluate.js";

const TICK_MS = 30_000;
const MIB = 1024 * 1024;

function stats(over: Partial<LiveAppStats> = {}): LiveAppStats {
  return {
    cpuPct: 0,
    memBytes: 0,
    memLimit: 256 * MIB,
    netMbps: 0,
    netTotalBytes: 0,
    diskMbps: 0,
    updatedAt: new Date(0),
    ...over,
  };
}

const cpu = (v: number | null): AppReading => ({
  stats: v === null ? undefined : stats({ cpuPct: v }),
  workerOnline: true,
  memoryMb: 256,
});

/**
 * Feeds one value per tick (30 s apart, null = no stats) through observe and
 * step, flipping `firing` the way the database would after each decision, and
 * returns the decisions as "fire@<tick>" / "resolve@<tick>".
 */
function run(
  series: readonly (number | null)[],
  opts: { threshold?: number; sustainMin?: number; firing?: boolean; kind?: AlertRuleKind } = {},
): string[] {
  const { threshold = 80, sustainMin = 1, kind = "cpu" } = opts;
  let firing = opts.firing ?? false;
  let streak: Streak | undefined;
  const out: string[] = [];
  series.forEach((v, i) => {
    const r = step(streak, observe(kind, threshold, cpu(v)), firing, i * TICK_MS, sustainMin * 60_000);
    streak = r.streak;
    if (r.decision) {
      out.push(`${r.decision}@${i}`);
      firing = r.decision === "fire";
    }
  });
  return out;
}

const H = 95; // over 80
const L = 10; // under 80

describe("sustain window with hysteresis: a table of time series (one value per 30 s tick)", () => {
  const cases: {
    name: string;
    series: (number | null)[];
    sustainMin?: number;
    firing?: boolean;
    want: string[];
  }[] = [
    { name: "always under: nothing", series: [L, L, L, L, L, L], want: [] },
    {
      name: "over from the start, 1 min: fires at 60 s (third tick)",
      series: [H, H, H, H],
      want: ["fire@2"],
    },
    { name: "a single spike changes nothing", series: [L, H, L, L, L, L], want: [] },
    { name: "two ticks over (30 s) is short of 1 min", series: [L, H, H, L, H, H, L], want: [] },
    { name: "equal to the threshold is not over", series: [80, 80, 80, 80], want: [] },
    {
      name: "5 min window: fires exactly 300 s after the first over tick",
      series: [L, ...Array<number>(11).fill(H)],
      sustainMin: 5,
      want: ["fire@11"],
    },
    {
      name: "5 min window: 9 ticks over (270 s) never fire",
      series: [...Array<number>(10).fill(H), L, L],
      sustainMin: 5,
      want: [],
    },
    {
      name: "fired, then a single dip does not resolve",
      series: [H, H, H, L, H, H, H, H],
      want: ["fire@2"],
    },
    {
      name: "fired, then under for the window resolves exactly at 60 s of under",
      series: [H, H, H, H, L, L, L, L],
      want: ["fire@2", "resolve@6"],
    },
    {
      name: "firing alert (from the database), values under: resolves after the window",
      series: [L, L, L, L],
      firing: true,
      want: ["resolve@2"],
    },
    {
      name: "firing alert, values over: stays, no second fire",
      series: [H, H, H, H, H],
      firing: true,
      want: [],
    },
    {
      name: "flapping every tick never fires",
      series: [H, L, H, L, H, L, H, L, H, L],
      want: [],
    },
    {
      name: "missing stats restart the window (no decision on data not seen)",
      series: [H, H, null, H, H, H],
      want: ["fire@5"],
    },
    {
      name: "missing stats while firing do not resolve",
      series: [H, H, H, null, null, null, null, L, L, L],
      want: ["fire@2", "resolve@9"],
    },
    {
      name: "fire, resolve and fire again",
      series: [H, H, H, L, L, L, H, H, H],
      want: ["fire@2", "resolve@5", "fire@8"],
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      expect(run(c.series, { sustainMin: c.sustainMin ?? 1, firing: c.firing ?? false })).toEqual(c.want);
    });
});

describe("step", () => {
  it("a streak with a start after now (clock went back) restarts", () => {
    const prev: Streak = { over: true, since: 10 * TICK_MS };
    expect(step(prev, true, false, 0, 60_000)).toEqual({
      streak: { over: true, since: 0 },
      decision: undefined,
    });
  });

  it("no previous streak (a restarted process) decides nothing on its first tick, whatever the value", () => {
    for (const firing of [false, true])
      for (const over of [false, true])
        expect(step(undefined, over, firing, 1e9, 60_000).decision).toBeUndefined();
  });
});

describe("observe and metricValue", () => {
  const reading = (
    s: Partial<LiveAppStats> | undefined,
    workerOnline = true,
    memoryMb = 256,
  ): AppReading => ({
    stats: s && stats(s),
    workerOnline,
    memoryMb,
  });

  it("cpu, network and disk compare the reported figure", () => {
    expect(metricValue("cpu", reading({ cpuPct: 91.5 }))).toBe(91.5);
    expect(metricValue("network", reading({ netMbps: 12 }))).toBe(12);
    expect(metricValue("disk", reading({ diskMbps: 40 }))).toBe(40);
    expect(observe("network", 12, reading({ netMbps: 12 }))).toBe(false);
    expect(observe("disk", 39.9, reading({ diskMbps: 40 }))).toBe(true);
  });

  it("memory is a percentage of the container limit, else of the app's memory_mb", () => {
    expect(metricValue("memory", reading({ memBytes: 192 * MIB, memLimit: 256 * MIB }))).toBe(75);
    expect(metricValue("memory", reading({ memBytes: 64 * MIB, memLimit: 0 }, true, 128))).toBe(50);
    expect(metricValue("memory", reading({ memBytes: 64 * MIB, memLimit: 0 }, true, 0))).toBeUndefined();
  });

  it("no stats or a non-finite figure is unknown for a metric", () => {
    expect(observe("cpu", 80, reading(undefined))).toBeUndefined();
    expect(observe("cpu", 80, reading({ cpuPct: Number.NaN }))).toBeUndefined();
  });

  it("offline: no fresh stats or the worker offline; the threshold plays no part", () => {
    expect(observe("offline", 0, reading({ cpuPct: 1 }))).toBe(false);
    expect(observe("offline", 0, reading(undefined))).toBe(true);
    expect(observe("offline", 0, reading({ cpuPct: 1 }, false))).toBe(true);
  });

  it("offline while stats are pending (just started): missing stats are unknown, a lost worker is still down", () => {
    const pending = (r: AppReading): AppReading => ({ ...r, statsPending: true });
    expect(observe("offline", 0, pending(reading(undefined)))).toBeUndefined();
    expect(observe("offline", 0, pending(reading(undefined, false)))).toBe(true);
    expect(observe("offline", 0, pending(reading({ cpuPct: 1 })))).toBe(false);
  });
});
