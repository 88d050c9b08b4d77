import { describe, expect, it } from "vitest";
import { formatBytes, formatMb, formatMillicores, formatPercent, formatRate } from "./format";

describe("formatting", () => {
  it("formats bytes in binary units", () => {
    expect([0, 1023, 1536, 10 * 1024 * 1024, 300 * 1024 ** 3].map(formatBytes)).toEqual([
      "0 B",
      "1023 B",
      "1.5 KiB",
      "10.0 MiB",
      "300 GiB",
    ]);
    expect(formatBytes(null)).toBe("–");
  });
  it("formats fractions as percent, CPU and memory as plans count them", () => {
    expect([0.001, 0.1234, 1.5].map(formatPercent)).toEqual(["0.1 %", "12 %", "150 %"]);
    expect(formatPercent(Number.NaN)).toBe("–");
    expect([250, 500, 1000, 1500, 2000].map(formatMillicores)).toEqual([
      "0.25 CPU",
      "0.5 CPU",
      "1 CPU",
      "1.5 CPU",
      "2 CPU",
    ]);
    expect([512, 1024, 1536].map(formatMb)).toEqual(["512 MB", "1 GB", "1536 MB"]);
  });

  it("formats network and disk rates", () => {
    expect(formatRate(0.4, "Mbit/s")).toBe("0.40 Mbit/s");
    expect(formatRate(12.34, "Mbit/s")).toBe("12.3 Mbit/s");
    expect(formatRate(250, "MB/s")).toBe("250 MB/s");
    expect(formatRate(null, "Mbit/s")).toBe("–");
  });
});
