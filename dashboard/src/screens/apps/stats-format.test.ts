import { describe, expect, it } from "vitest";
import { cpuOfLimit, formatCpuPct, formatDuration, planRoom } from "./stats-format";

describe("live stats and deployment display", () => {
  it("shows CPU as a percentage of one CPU and relative to the app's limit", () => {
    expect(formatCpuPct(12.5)).toBe("13 %");
    expect(formatCpuPct(3.14)).toBe("3.1 %");
    expect(formatCpuPct(undefined)).toBe("–");
    expect(cpuOfLimit(25, 500)).toBe(0.5);
    expect(cpuOfLimit(60, 500)).toBeCloseTo(1.2);
    expect(cpuOfLimit(10, 0)).toBe(0);
    expect(cpuOfLimit(-1, 500)).toBe(0);
  });

  it("formats durations", () => {
    const now = new Date("2025-01-01T12:00:00Z");
    expect(formatDuration("2025-01-01T11:59:18Z", "2025-01-01T12:00:00Z", now)).toBe("42 s");
    expect(formatDuration("2025-01-01T11:56:55Z", null, now)).toBe("3 min 5 s");
    expect(formatDuration("2025-01-01T09:53:00Z", null, now)).toBe("2 h 7 min");
    expect(formatDuration(null, null, now)).toBe("–");
    expect(formatDuration("2025-01-01T12:00:01Z", null, now)).toBe("–");
  });

  it("says what the plan has left, never below zero", () => {
    const me = {
      plan: { name: "free", max_apps: 3, max_cpu_millicores: 1000, max_memory_mb: 512 },
      usage: { apps: 1, cpu_millicores: 250, memory_mb: 600 },
    };
    expect(planRoom(me)).toEqual({ apps: 2, cpu_millicores: 750, memory_mb: 0 });
  });
});
