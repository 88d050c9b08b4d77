import { describe, expect, it } from "vitest";
import { TokenBucket } from "../api/token-bucket.js";
import type { RuntimeLogPayload } from "../protocol/messages-worker.js";
import { LogShipper } from "./log-shipper.js";
import { ContainerRegistry } from "./registry.js";
import { FakeRuntime } from "./runtime/fake-runtime.js";
import type { Send } from "./send.js";

function shipper(budget: TokenBucket, connected = { value: true }) {
  const sent: RuntimeLogPayload[] = [];
  const send = ((type: string, payload: RuntimeLogPayload) => {
    if (!connected.value) return false;
    if (type === "runtime_log") sent.push(payload);
    return true;
  }) as Send;
  const s = new LogShipper({
    runtime: new FakeRuntime(),
    registry: new ContainerRegistry(),
    send,
    budget,
    now: () => 1_000,
    flushLines: 1000,
    maxLinesPerMessage: 5000,
  });
  return { s, sent };
}

const big = () => new TokenBucket({ ratePerSec: 1e12, burst: 1e12 });

describe("LogShipper", () => {
  it("flushes at 1000 lines and cuts lines to 8 KiB", () => {
    const { s, sent } = shipper(big());
    s.push(1, "x".repeat(20_000), "stdout", 1);
    for (let i = 1; i < 1000; i++) s.push(1, `line ${i}`, "stdout", 1);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.lines).toHaveLength(1000);
    expect(Buffer.byteLength(sent[0]?.lines[0]?.line ?? "")).toBe(8192);
  });

  it("drops what the budget cannot pay for and says so once it can", () => {
    let t = 0;
    const budget = new TokenBucket({ ratePerSec: 1000, burst: 1000, now: () => t });
    const { s, sent } = shipper(budget);
    for (let i = 0; i < 50; i++) s.push(7, "y".repeat(100), "stdout", 1);
    s.flush();
    const first = sent.flatMap((p) => p.lines);
    expect(first.length).toBeLessThan(50);
    t += 10_000;
    s.push(7, "after", "stdout", 2);
    s.flush();
    const notice = sent.flatMap((p) => p.lines).find((l) => l.line.startsWith("[wisehosting]"));
    expect(notice?.line).toContain(`${50 - first.length} log lines dropped`);
    expect(sent.flatMap((p) => p.lines).some((l) => l.line === "after")).toBe(true);
  });

  it("keeps lines while disconnected and sends them after", () => {
    const connected = { value: false };
    const { s, sent } = shipper(big(), connected);
    s.push(2, "one", "stderr", 5);
    s.flush();
    expect(sent).toHaveLength(0);
    connected.value = true;
    s.flush();
    expect(sent.flatMap((p) => p.lines)).toEqual([{ app_id: 2, ts: 5, stream: "stderr", line: "one" }]);
  });
});
