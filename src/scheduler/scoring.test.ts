import { describe, expect, it } from "vitest";
import { fits, pickWorker, scoreWorker, SCORE_WEIGHTS, type WorkerCapacity } from "./scoring.js";

const w = (id: number, over: Partial<WorkerCapacity> = {}): WorkerCapacity => ({
  id,
  zone: "a",
  cpuMillicores: 4000,
  memoryMb: 8192,
  usedCpuMillicores: 0,
  usedMemoryMb: 0,
  runningApps: 0,
  ...over,
});
const need = { cpuMillicores: 1000, memoryMb: 1024, zone: null };

describe("scoring", () => {
  it("weighs CPU and memory utilisation after placement equally, and app load lightly", () => {
    expect(SCORE_WEIGHTS.cpu + SCORE_WEIGHTS.memory + SCORE_WEIGHTS.apps).toBeCloseTo(1);
    expect(scoreWorker(w(1), need)).toBeCloseTo(0.45 * 0.25 + 0.45 * 0.125);
    expect(scoreWorker(w(1, { runningApps: 25 }), need)).toBeCloseTo(0.45 * 0.25 + 0.45 * 0.125 + 0.1 * 0.5);
    expect(scoreWorker(w(1, { runningApps: 500 }), need)).toBeCloseTo(0.45 * 0.25 + 0.45 * 0.125 + 0.1);
  });

  it("picks the least loaded eligible worker, by relative not absolute free capacity", () => {
    const big = w(1, { cpuMillicores: 16000, memoryMb: 32768, usedCpuMillicores: 8000, usedMemoryMb: 16384 });
    const small = w(2, { usedCpuMillicores: 500, usedMemoryMb: 512 });
    expect(pickWorker([big, small], need)?.id).toBe(2);
  });

  it("honours the zone, skips what does not fit, and breaks ties by the lower id", () => {
    const workers = [w(3), w(2), w(5, { zone: "b" }), w(1, { usedCpuMillicores: 3500 })];
    expect(pickWorker(workers, need)?.id).toBe(2);
    expect(pickWorker(workers, { ...need, zone: "b" })?.id).toBe(5);
    expect(pickWorker(workers, { ...need, zone: "c" })).toBeUndefined();
    expect(pickWorker(workers, { ...need, cpuMillicores: 4001 })).toBeUndefined();
    expect(fits(w(1, { usedMemoryMb: 8000 }), { ...need, memoryMb: 192 })).toBe(true);
    expect(fits(w(1, { usedMemoryMb: 8000 }), { ...need, memoryMb: 193 })).toBe(false);
  });
});
