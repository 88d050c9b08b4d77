import { describe, expect, it } from "vitest";

import {
  parseEventLine,
  parseInspect,
  parseJsonList,
  parseLogLine,
  parseStatsLine,
  parseTime,
} from "./podman-parse.js";
import { RestartPolicy } from "./restart-policy.js";

describe("podman output parsers", () => {
  it("reads inspect output, tolerating missing fields and Go's zero time", () => {
    const info = parseInspect({
      Id: "abc",
      Name: "wh-blog-d1",
      ImageName: "localhost/blog:1",
      RestartCount: 2,
      State: {
        Status: "exited",
        ExitCode: 3,
        OOMKilled: true,
        StartedAt: "2026-11-30T03:16:18.482760604Z",
        FinishedAt: "0001-01-01T00:00:00Z",
      },
      Config: { Labels: { a: "1", weird: 5 } },
    });
    expect(info).toEqual({
      id: "abc",
      name: "wh-blog-d1",
      image: "localhost/blog:1",
      state: "exited",
      labels: { a: "1" },
      exitCode: 3,
      oomKilled: true,
      restartCount: 2,
      startedAt: new Date("2026-11-30T03:16:18.482Z"),
      finishedAt: null,
    });
    expect(parseInspect({ State: { Status: "running", ExitCode: 0 } })).toMatchObject({
      state: "running",
      exitCode: null,
      labels: {},
    });
    expect(parseInspect("junk")).toMatchObject({ id: "", state: "unknown" });
    expect(parseTime("nonsense")).toBeNull();
  });

  it("reads JSON arrays, single objects and one object per line", () => {
    expect(parseJsonList("")).toEqual([]);
    expect(parseJsonList("null")).toEqual([]);
    expect(parseJsonList('[{"a":1}]')).toEqual([{ a: 1 }]);
    expect(parseJsonList('{"a":1}\n{"a":2}\n')).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it("takes raw stats numbers, summing Podman 5's per-interface networks", () => {
    const v4 = parseStatsLine({
      ContainerID: "abc",
      CPU: 4.7,
      CPUNano: 113,
      MemUsage: 724992,
      MemLimit: 67108864,
      NetInput: 472,
      NetOutput: 1096,
      BlockInput: 10,
      BlockOutput: 5,
    });
    expect(v4).toEqual({
      id: "abc",
      cpuPct: 4.7,
      cpuNanos: 113,
      memBytes: 724992,
      memLimitBytes: 67108864,
      netTotalBytes: 1568,
      blockTotalBytes: 15,
    });
    const v5 = parseStatsLine({
      ContainerID: "abc",
      MemUsage: "100",
      Network: { eth0: { RxBytes: 10, TxBytes: 20 }, eth1: { RxBytes: 1, TxBytes: 2 } },
    });
    expect(v5).toMatchObject({ memBytes: 100, netTotalBytes: 33, cpuPct: 0, blockTotalBytes: 0 });
  });

  it("maps events and ignores the kinds the agent does not use", () => {
    const died = parseEventLine(
      '{"ContainerExitCode":137,"ID":"abc","Status":"died","Time":"2026-11-30T03:16:35.556896103Z","Type":"container","Attributes":{"io.wisehosting.managed":"true"}}',
    );
    expect(died).toEqual({
      id: "abc",
      kind: "died",
      exitCode: 137,
      labels: { "io.wisehosting.managed": "true" },
      at: new Date("2026-11-30T03:16:35.556Z"),
    });
    expect(parseEventLine('{"ID":"abc","Status":"cleanup","Time":"2026-11-30T03:16:35Z"}')).toBeUndefined();
    expect(parseEventLine("not json")).toBeUndefined();
    expect(parseEventLine('{"ID":"abc","Status":"oom"}')?.kind).toBe("oom");
  });

  it("splits the timestamp off log lines and drops podman's own messages", () => {
    expect(parseLogLine("2026-11-30T03:16:18.487518433Z hi there", "stdout")).toEqual({
      stream: "stdout",
      line: "hi there",
      ts: Date.parse("2026-11-30T03:16:18.487Z"),
    });
    expect(parseLogLine("2026-11-30T03:16:18+01:00 ", "stderr")).toEqual({
      stream: "stderr",
      line: "",
      ts: Date.parse("2026-11-30T02:16:18Z"),
    });
    expect(parseLogLine("Error: no such container", "stderr")).toBeUndefined();
  });
});

describe("RestartPolicy", () => {
  it("backs off, flags more than 5 restarts in 10 minutes as a crash loop, and forgets old deaths", () => {
    let now = 0;
    const policy = new RestartPolicy({ now: () => now });
    expect(policy.onDeath("c", 0)).toEqual({ action: "stay-stopped" });
    const delays: number[] = [];
    const loops: boolean[] = [];
    for (let i = 0; i < 7; i++) {
      const d = policy.onDeath("c", 1);
      if (d.action !== "restart") throw new Error("expected a restart");
      delays.push(d.delayMs);
      loops.push(d.crashloop);
      now += d.delayMs + 100;
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000]);
    expect(loops).toEqual([false, false, false, false, false, true, true]);
    now += 10 * 60_000;
    expect(policy.count("c")).toBe(0);
    expect(policy.onDeath("c", 137)).toMatchObject({ delayMs: 1000, crashloop: false });
    policy.forget("c");
    expect(policy.count("c")).toBe(0);
  });
});
