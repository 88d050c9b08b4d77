import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { PodmanExec } from "./podman-exec.js";
import { followPodmanEvents, followPodmanLogs } from "./podman-follow.js";
import type { ContainerEvent, LogLineOut } from "./runtime.js";

/**
 * The followers against a stand-in for `podman`: a Node script (run as
 * `node script.mjs <podman args>` through the exec's binary and global
 * arguments) that records its arguments and prints canned output.
 */

const SCRIPT = `
import { appendFileSync, readFileSync } from "node:fs";
const dir = process.env.FAKE_DIR;
const args = process.argv.slice(2);
appendFileSync(dir + "/calls", JSON.stringify(args) + "\\n");
const n = readFileSync(dir + "/calls", "utf8").trim().split("\\n").length;
const ev = (id, status, time, extra = {}) =>
  JSON.stringify({ ID: id, Status: status, Time: time, Type: "container", Attributes: { app: "3" }, ...extra });
if (args[0] === "events") {
  if (n === 1) { console.log(ev("a", "start", "2026-01-01T00:00:01.5Z")); process.exit(1); }
  if (n === 2) {
    console.log(ev("a", "start", "2026-01-01T00:00:01.5Z"));
    console.log(ev("a", "cleanup", "2026-01-01T00:00:02Z"));
    console.log(ev("a", "died", "2026-01-01T00:00:03.25Z", { ContainerExitCode: 2 }));
    process.exit(0);
  }
  setInterval(() => undefined, 1000);
} else if (args[0] === "logs") {
  process.stdout.write("2026-01-01T00:00:01Z old\\n2026-01-01T00:00:05Z out line\\n");
  process.stderr.write("2026-01-01T00:00:06.5Z err line\\nError: podman's own complaint\\n2026-01-01T00:00:07Z no newline");
}
`;

describe("podman followers (stand-in podman)", () => {
  let dir = "";
  let exec: PodmanExec;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "wh-follow-test-"));
    await writeFile(path.join(dir, "podman.mjs"), SCRIPT);
    process.env.FAKE_DIR = dir;
    exec = new PodmanExec({ binary: process.execPath, globalArgs: [path.join(dir, "podman.mjs")] });
  });

  afterAll(async () => {
    delete process.env.FAKE_DIR;
    await rm(dir, { recursive: true, force: true });
  });

  async function calls(): Promise<string[][]> {
    const text = await readFile(path.join(dir, "calls"), "utf8").catch(() => "");
    return text
      .trim()
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as string[]);
  }

  async function until(check: () => Promise<boolean> | boolean): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error("timed out");
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it("restarts the events follower with --since the last event and drops replays", async () => {
    await rm(path.join(dir, "calls"), { force: true });
    const events: ContainerEvent[] = [];
    const sub = followPodmanEvents(exec, (e) => events.push(e), { minBackoffMs: 10 });
    try {
      await until(async () => (await calls()).length >= 3);
    } finally {
      sub.stop();
    }
    expect(events.map((e) => `${e.id}:${e.kind}:${e.exitCode ?? ""}`)).toEqual(["a:start:", "a:died:2"]);
    expect(events[1]!.labels).toEqual({ app: "3" });
    const [first, second, third] = await calls();
    expect(first).toEqual([
      "events",
      "--format",
      "json",
      "--filter",
      "type=container",
      "--filter",
      "label=io.wisehosting.managed=true",
    ]);
    expect(second!.slice(-2)).toEqual(["--since", "2026-01-01T00:00:01.5Z"]);
    expect(third!.slice(-2)).toEqual(["--since", "2026-01-01T00:00:03.25Z"]);
  });

  it("follows logs per stream from a time, drops podman's own lines, and calls onEnd when podman exits", async () => {
    await rm(path.join(dir, "calls"), { force: true });
    const lines: LogLineOut[] = [];
    await new Promise<void>((resolve) => {
      followPodmanLogs(exec, "abc", Date.parse("2026-01-01T00:00:02Z"), (l) => lines.push(l), resolve);
    });
    expect(lines.map((l) => `${l.stream}:${l.line}`).sort()).toEqual([
      "stderr:err line",
      "stderr:no newline",
      "stdout:out line",
    ]);
    expect(lines.find((l) => l.line === "err line")!.ts).toBe(Date.parse("2026-01-01T00:00:06.5Z"));
    expect((await calls())[0]).toEqual([
      "logs",
      "-f",
      "--timestamps",
      "--since",
      "2026-01-01T00:00:02.000Z",
      "abc",
    ]);
  });

  it("never calls back after stop()", async () => {
    let called = 0;
    const sub = followPodmanLogs(
      exec,
      "abc",
      0,
      () => called++,
      () => called++,
    );
    sub.stop();
    sub.stop();
    await new Promise((r) => setTimeout(r, 300));
    expect(called).toBe(0);
  });
});
