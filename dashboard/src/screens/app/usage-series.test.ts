import { describe, expect, it } from "vitest";
import type { UsageBucket } from "../../api/obs-types";
import { bucketsToSeries, describeChart, isolatedIndices, summarise, usageCharts } from "./usage-series";

const T0 = Date.parse("2026-03-01T12:00:00.000Z");
const MIN5 = 300_000;

function bucket(startMs: number, cpu: number, memMiB: number, mbps: number): UsageBucket {
  return {
    start: new Date(startMs).toISOString(),
    cpu_pct_avg: cpu,
    cpu_pct_max: cpu * 2,
    mem_bytes_avg: memMiB * 1024 * 1024,
    mem_bytes_max: memMiB * 2 * 1024 * 1024,
    net_mbps_avg: mbps,
    net_mbps_max: mbps * 3,
    net_bytes: 1000,
  };
}

describe("bucketsToSeries", () => {
  it("puts every bucket of the range on the x axis in seconds, gaps as null", () => {
    const s = bucketsToSeries(
      [bucket(T0, 10, 100, 1), bucket(T0 + 3 * MIN5, 20, 200, 2)],
      300,
      T0 + 1000,
      T0 + 4 * MIN5,
    );
    // The bucket holding `from` is the first; `to`'s bucket is included.
    expect(s.x).toEqual([0, 1, 2, 3, 4].map((i) => (T0 + i * MIN5) / 1000));
    expect(s.cpuAvg).toEqual([10, null, null, 20, null]);
    expect(s.cpuMax).toEqual([20, null, null, 40, null]);
    expect(s.memAvg).toEqual([100 * 1048576, null, null, 200 * 1048576, null]);
    expect(s.netMax).toEqual([3, null, null, 6, null]);
  });

  it("extends to a bucket later than `to` (server clock ahead) and skips unreadable starts", () => {
    const bad = { ...bucket(T0, 1, 1, 1), start: "not a date" };
    const s = bucketsToSeries([bad, bucket(T0 + 2 * MIN5, 5, 5, 5)], 300, T0, T0 + MIN5);
    expect(s.x).toHaveLength(3);
    expect(s.cpuAvg).toEqual([null, null, 5]);
  });

  it("gives an all-gap series when there is no data", () => {
    const s = bucketsToSeries([], 300, T0, T0 + 86_400_000);
    expect(s.x).toHaveLength(289);
    expect(s.cpuAvg.every((v) => v === null)).toBe(true);
  });
});

describe("isolatedIndices", () => {
  it("finds the values with a gap or an edge on both sides", () => {
    expect(isolatedIndices([1, null, 2, 3, null, 4])).toEqual([0, 5]);
    expect(isolatedIndices([null, 0, null])).toEqual([1]);
    expect(isolatedIndices([1, 2])).toEqual([]);
    expect(isolatedIndices([null, null])).toEqual([]);
  });
});

describe("summaries", () => {
  it("summarises skipping gaps", () => {
    expect(summarise([null, 2, 4, null, 9])).toEqual({ min: 2, avg: 5, max: 9, count: 3 });
    expect(summarise([null, null])).toBeNull();
    expect(summarise([])).toBeNull();
  });

  it("describes each chart with its unit, and says when there is no data", () => {
    const s = bucketsToSeries(
      [bucket(T0, 10, 512, 0.5), bucket(T0 + MIN5, 30, 1024, 1.5)],
      300,
      T0,
      T0 + MIN5,
    );
    const [cpu, mem, net] = usageCharts(s);
    expect(describeChart(cpu!, "24h")).toBe(
      "CPU over the last 24 hours: min 10 %, average 20 %, max 30 % (5-minute averages); highest reading 60 %.",
    );
    expect(describeChart(mem!, "7d")).toMatch(
      /^Memory over the last 7 days: min 512 MiB, average 768 MiB, max 1.0 GiB/,
    );
    expect(describeChart(net!, "90d")).toMatch(
      /min 0.50 Mbit\/s, average 1.00 Mbit\/s, max 1.50 Mbit\/s .*highest reading 4.50 Mbit\/s\.$/,
    );
    const empty = usageCharts(bucketsToSeries([], 300, T0, T0 + MIN5));
    expect(describeChart(empty[0]!, "24h")).toBe("CPU: no data over the last 24 hours.");
  });
});
