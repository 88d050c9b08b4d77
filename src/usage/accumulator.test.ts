import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BUCKET_MS,
  bucketStart,
  mergeTotals,
  netDelta,
  toUsageSample,
  UsageAccumulator,
  type UsageReading,
} from "./accumulator.js";

const at = (iso: string) => new Date(iso);
const reading = (r: Partial<UsageReading> = {}): UsageReading => ({
  cpuPct: 0,
  memBytes: 0,
  netMbps: 0,
  netTotalBytes: 0,
  ...r,
});

describe("bucketStart", () => {
  it("truncates to 5 minutes in UTC", () => {
    expect(BUCKET_MS).toBe(300_000);
    expect(bucketStart(at("2030-06-01T12:04:59.999Z"))).toEqual(at("2030-06-01T12:00:00Z"));
    expect(bucketStart(at("2030-06-01T12:05:00.000Z"))).toEqual(at("2030-06-01T12:05:00Z"));
    expect(bucketStart(at("2030-06-01T23:59:59Z"))).toEqual(at("2030-06-01T23:55:00Z"));
    // An offset that is not a multiple of 5 minutes still lands on a UTC boundary.
    expect(bucketStart(at("2030-06-01T17:52:00+05:45"))).toEqual(at("2030-06-01T12:05:00Z"));
    expect(bucketStart(at("1969-12-31T23:58:00Z"))).toEqual(at("1969-12-31T23:55:00Z"));
  });

  it("refuses an invalid date", () => {
    expect(() => bucketStart(new Date(Number.NaN))).toThrow(RangeError);
  });
});

describe("netDelta", () => {
  it("counts 0 for the first reading, the increase after, and the new value after a reset", () => {
    expect(netDelta(undefined, 5000)).toBe(0);
    expect(netDelta(1000, 1500)).toBe(500);
    expect(netDelta(1500, 1500)).toBe(0);
    expect(netDelta(1500, 200)).toBe(200); // container restarted: counted from zero
    expect(netDelta(1500, 0)).toBe(0);
  });

  it("is never negative, and over a counter that only grows sums to last − first", () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 2 ** 40 }), { minLength: 1, maxLength: 50 }), (counters) => {
        let prev: number | undefined;
        let total = 0;
        for (const c of counters) {
          const d = netDelta(prev, c);
          expect(d).toBeGreaterThanOrEqual(0);
          total += d;
          prev = c;
        }
        const sorted = [...counters].sort((a, b) => a - b);
        let monotoneTotal = 0;
        prev = undefined;
        for (const c of sorted) {
          monotoneTotal += netDelta(prev, c);
          prev = c;
        }
        expect(monotoneTotal).toBe(sorted[sorted.length - 1]! - sorted[0]!);
        expect(total).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});

describe("UsageAccumulator", () => {
  it("averages and maximises each measure exactly within a bucket", () => {
    const acc = new UsageAccumulator();
    acc.add(1, 7, at("2030-06-01T12:00:00Z"), reading({ cpuPct: 10, memBytes: 100, netMbps: 1 }));
    acc.add(1, 7, at("2030-06-01T12:01:00Z"), reading({ cpuPct: 20, memBytes: 300, netMbps: 6 }));
    acc.add(1, 7, at("2030-06-01T12:04:59Z"), reading({ cpuPct: 60, memBytes: 200, netMbps: 2 }));

    const [only, ...rest] = acc.take().map(toUsageSample);
    expect(rest).toEqual([]);
    expect(only).toEqual({
      app_id: 1,
      user_id: 7,
      bucket_start: at("2030-06-01T12:00:00Z"),
      samples: 3,
      cpu_pct_avg: 30,
      cpu_pct_max: 60,
      mem_bytes_avg: 200,
      mem_bytes_max: 300,
      net_mbps_avg: 3,
      net_mbps_max: 6,
      net_bytes_delta: 0,
    });
    expect(acc.size).toBe(0);
  });

  it("handles a counter reset: the new value counts from zero, never negative", () => {
    const acc = new UsageAccumulator();
    const counters = [1000, 1500, 200, 700, 700];
    counters.forEach((c, i) =>
      acc.add(1, 7, new Date(Date.UTC(2030, 5, 1, 12, i)), reading({ netTotalBytes: c })),
    );
    // 0 (first, base only) + 500 + 200 (reset) + 500 + 0
    expect(acc.take().map((t) => t.netBytesDelta)).toEqual([1200]);
  });

  it("keeps each app's buckets apart and counts a delta in the bucket of the later reading", () => {
    const acc = new UsageAccumulator();
    acc.add(1, 7, at("2030-06-01T12:03:00Z"), reading({ cpuPct: 10, netTotalBytes: 100 }));
    acc.add(2, 8, at("2030-06-01T12:03:00Z"), reading({ cpuPct: 50 }));
    acc.add(1, 7, at("2030-06-01T12:06:00Z"), reading({ cpuPct: 30, netTotalBytes: 400 }));

    const finished = acc.take(at("2030-06-01T12:05:00Z"));
    expect(finished.map((t) => [t.appId, t.bucketStart.toISOString(), t.samples, t.netBytesDelta])).toEqual([
      [1, "2030-06-01T12:00:00.000Z", 1, 0],
      [2, "2030-06-01T12:00:00.000Z", 1, 0],
    ]);
    const open = acc.take();
    expect(open.map((t) => [t.appId, t.bucketStart.toISOString(), t.cpuSum, t.netBytesDelta])).toEqual([
      [1, "2030-06-01T12:05:00.000Z", 30, 300],
    ]);
  });

  it("returns finished buckets oldest first, then by app", () => {
    const acc = new UsageAccumulator();
    acc.add(3, 1, at("2030-06-01T12:11:00Z"), reading());
    acc.add(2, 1, at("2030-06-01T12:01:00Z"), reading());
    acc.add(1, 1, at("2030-06-01T12:06:00Z"), reading());
    acc.add(1, 1, at("2030-06-01T12:02:00Z"), reading());
    const order = acc
      .take(at("2030-06-01T12:10:00Z"))
      .map((t) => `${t.bucketStart.getUTCMinutes()}/${t.appId}`);
    expect(order).toEqual(["0/1", "0/2", "5/1"]);
    expect(acc.size).toBe(1);
  });

  it("restores totals after a failed write, merged with what arrived since", () => {
    const acc = new UsageAccumulator();
    acc.add(1, 7, at("2030-06-01T12:00:00Z"), reading({ cpuPct: 10, memBytes: 5, netTotalBytes: 100 }));
    acc.add(1, 7, at("2030-06-01T12:01:00Z"), reading({ cpuPct: 40, memBytes: 1, netTotalBytes: 300 }));
    const taken = acc.take();
    acc.add(1, 7, at("2030-06-01T12:02:00Z"), reading({ cpuPct: 70, memBytes: 3, netTotalBytes: 350 }));
    acc.restore(taken);

    const [merged] = acc.take().map(toUsageSample);
    expect(merged).toMatchObject({ samples: 3, cpu_pct_avg: 40, cpu_pct_max: 70, mem_bytes_avg: 3 });
    expect(merged?.mem_bytes_max).toBe(5);
    expect(merged?.net_bytes_delta).toBe(250);
  });

  it("ignores a reading with a non-finite or negative number, leaving the counter base alone", () => {
    const acc = new UsageAccumulator();
    acc.add(1, 7, at("2030-06-01T12:00:00Z"), reading({ netTotalBytes: 100 }));
    expect(
      acc.add(1, 7, at("2030-06-01T12:01:00Z"), reading({ cpuPct: Number.NaN, netTotalBytes: 900 })),
    ).toBe(false);
    expect(acc.add(1, 7, at("2030-06-01T12:01:00Z"), reading({ memBytes: -1 }))).toBe(false);
    expect(acc.add(1, 7, at("2030-06-01T12:01:00Z"), reading({ netMbps: Infinity }))).toBe(false);
    acc.add(1, 7, at("2030-06-01T12:02:00Z"), reading({ netTotalBytes: 150 }));
    expect(acc.take().map((t) => [t.samples, t.netBytesDelta])).toEqual([[2, 50]]);
  });

  it("forgets counters of apps not seen since the cutoff, so their next reading is a new base", () => {
    const acc = new UsageAccumulator();
    acc.add(1, 7, at("2030-06-01T12:00:00Z"), reading({ netTotalBytes: 100 }));
    acc.add(2, 7, at("2030-06-01T12:09:00Z"), reading({ netTotalBytes: 100 }));
    expect(acc.forgetCountersSeenBefore(at("2030-06-01T12:05:00Z"))).toBe(1);
    acc.take();
    acc.add(1, 7, at("2030-06-01T12:10:00Z"), reading({ netTotalBytes: 5000 }));
    acc.add(2, 7, at("2030-06-01T12:10:00Z"), reading({ netTotalBytes: 5000 }));
    expect(acc.take().map((t) => [t.appId, t.netBytesDelta])).toEqual([
      [1, 0],
      [2, 4900],
    ]);
  });

  it("mergeTotals sums and takes maxima", () => {
    const base = { appId: 1, userId: 2, bucketStart: at("2030-06-01T12:00:00Z") };
    const a = {
      ...base,
      samples: 1,
      cpuSum: 1,
      cpuMax: 1,
      memSum: 9,
      memMax: 9,
      netSum: 2,
      netMax: 2,
      netBytesDelta: 5,
    };
    const b = {
      ...base,
      samples: 2,
      cpuSum: 8,
      cpuMax: 5,
      memSum: 4,
      memMax: 3,
      netSum: 2,
      netMax: 1,
      netBytesDelta: 6,
    };
    expect(mergeTotals(a, b)).toEqual({
      ...base,
      samples: 3,
      cpuSum: 9,
      cpuMax: 5,
      memSum: 13,
      memMax: 9,
      netSum: 4,
      netMax: 2,
      netBytesDelta: 11,
    });
  });
});
