import { describe, expect, it } from "vitest";

import { FakeRuntime } from "./fake-runtime.js";
import {
  BuildError,
  LABEL_APP_ID,
  LABEL_MANAGED,
  RuntimeError,
  type ContainerEvent,
  type ContainerSpec,
  type LogLineOut,
} from "./runtime.js";

function spec(over: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    name: "wh-blog-d1",
    image: "localhost/blog:1",
    env: { PORT: "8080" },
    cpuMillicores: 500,
    memoryMb: 64,
    network: "wisehosting",
    internalPort: 8080,
    hostIp: "127.0.0.1",
    hostPort: 20001,
    labels: { [LABEL_MANAGED]: "true", [LABEL_APP_ID]: "3" },
    ...over,
  };
}

describe("FakeRuntime", () => {
  it("builds by rule, streaming lines, and fails with the tail", async () => {
    const rt = new FakeRuntime();
    const out: string[] = [];
    await rt.build("/ctx", "localhost/blog:1", (t) => out.push(t));
    expect(out).toEqual(["STEP 1/1: FROM base\n", "COMMIT localhost/blog:1\n"]);
    expect(await rt.imageExists("localhost/blog:1")).toBe(true);

    rt.buildRule = () => ({
      ok: false,
      output: ["STEP 1/2: FROM base", "RUN false", "Error: exit status 1"],
    });
    const err = await rt.build("/ctx", "localhost/blog:2", () => undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BuildError);
    expect((err as BuildError).tail).toContain("RUN false");
    expect(await rt.imageExists("localhost/blog:2")).toBe(false);
  });

  it("runs, inspects, lists by label, answers on its port, and rejects a missing image or taken port", async () => {
    const rt = new FakeRuntime();
    rt.images.add("localhost/blog:1");
    await expect(rt.run(spec({ image: "localhost/nope:1" }))).rejects.toThrow(
      "image not found: localhost/nope:1",
    );
    const id = await rt.run(spec());
    expect(rt.answers(20001)).toBe(true);
    expect((await rt.inspect("wh-blog-d1"))?.state).toBe("running");
    expect((await rt.list({ [LABEL_APP_ID]: "3" })).map((c) => c.id)).toEqual([id]);
    expect(await rt.list({ [LABEL_APP_ID]: "4" })).toEqual([]);
    await expect(rt.run(spec({ name: "wh-blog-d2" }))).rejects.toThrow("port 20001 is already in use");
    expect(await rt.inspect("wh-blog-d2")).toBeUndefined();
    rt.busyPorts.add(20002);
    await expect(rt.run(spec({ name: "wh-blog-d3", hostPort: 20002 }))).rejects.toBeInstanceOf(RuntimeError);
    rt.setAnswering(id, false);
    expect(rt.answers(20001)).toBe(false);
  });

  it("reports crash, OOM, start and remove as events, and stop/start/remove change state", async () => {
    const rt = new FakeRuntime();
    rt.images.add("localhost/blog:1");
    const events: ContainerEvent[] = [];
    const sub = rt.events((e) => events.push(e));
    const id = await rt.run(spec());
    rt.crash(id, 3);
    let info = await rt.inspect(id);
    expect(info).toMatchObject({ state: "exited", exitCode: 3, oomKilled: false });
    await rt.start(id);
    rt.oom(id);
    info = await rt.inspect(id);
    expect(info).toMatchObject({ state: "exited", exitCode: 137, oomKilled: true });
    await rt.start(id);
    await rt.stop(id, 5);
    await rt.stop(id, 5);
    await rt.remove(id);
    await rt.remove(id);
    expect(events.map((e) => `${e.kind}:${e.exitCode ?? ""}`)).toEqual([
      "start:",
      "died:3",
      "start:",
      "oom:",
      "died:137",
      "start:",
      "died:0",
      "remove:",
    ]);
    expect(events[0]!.labels[LABEL_APP_ID]).toBe("3");
    sub.stop();
    expect(rt.eventSubscribers).toBe(0);
    await expect(rt.start(id)).rejects.toThrow("container not found");
  });

  it("follows logs from a time, ends the follow when the container stops", async () => {
    let now = 1000;
    const rt = new FakeRuntime({ now: () => now });
    rt.images.add("localhost/blog:1");
    const id = await rt.run(spec());
    rt.pushLog(id, "old");
    now = 2000;
    rt.pushLog(id, "boot", "stderr");
    const lines: LogLineOut[] = [];
    let ended = 0;
    const sub = rt.followLogs(
      id,
      1500,
      (l) => lines.push(l),
      () => ended++,
    );
    rt.pushLog(id, "GET / 200");
    expect(lines.map((l) => `${l.stream}:${l.line}:${l.ts}`)).toEqual([
      "stderr:boot:2000",
      "stdout:GET / 200:2000",
    ]);
    rt.crash(id);
    expect(ended).toBe(1);
    expect(rt.logFollowers).toBe(0);
    sub.stop();
  });

  it("samples stats of running containers only, and fails the next call on demand", async () => {
    const rt = new FakeRuntime();
    rt.images.add("localhost/blog:1");
    const a = await rt.run(spec());
    const b = await rt.run(spec({ name: "wh-blog-d2", hostPort: 20002 }));
    rt.setStats(a, { cpuPct: 12.5, memBytes: 1_000_000 });
    rt.crash(b);
    const stats = await rt.stats([a, b, "missing"]);
    expect(stats).toEqual([
      {
        id: a,
        cpuPct: 12.5,
        memBytes: 1_000_000,
        memLimitBytes: 64 * 1024 * 1024,
        netTotalBytes: 0,
        blockTotalBytes: 0,
      },
    ]);
    rt.failNext("stats");
    await expect(rt.stats([a])).rejects.toThrow("stats failed");
    expect(await rt.stats([a])).toHaveLength(1);
    expect(rt.calls.filter((c) => c.method === "stats")).toHaveLength(3);
  });
});
