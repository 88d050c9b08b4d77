import type { ChildProcess } from "node:child_process";

import { splitLines, type PodmanExec } from "./podman-exec.js";
import { parseEventLine, parseLogLine } from "./podman-parse.js";
import { LABEL_MANAGED, type ContainerEvent, type LogLineOut, type Subscription } from "./runtime.js";

/**
 * The two long-running podman children: `logs -f` for one container and
 * `events` for all managed containers. Both are killed by their
 * Subscription's `stop()`, which is idempotent and silences every callback
 * from then on.
 */

function kill(child: ChildProcess | undefined): void {
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
}

/**
 * `podman logs -f --timestamps --since <sinceMs> <id>`: container stdout
 * comes on podman's stdout and container stderr on its stderr (k8s-file and
 * journald drivers); lines without a timestamp prefix are podman's own
 * messages and are dropped. Podman ends the follow when the container stops;
 * `onEnd` is then called once (not after `stop()`), and the caller may follow
 * again after a restart from the last line's `ts + 1`.
 */
export function followPodmanLogs(
  exec: PodmanExec,
  id: string,
  sinceMs: number,
  onLine: (line: LogLineOut) => void,
  onEnd?: () => void,
): Subscription {
  let stopped = false;
  const since = new Date(Math.max(0, sinceMs)).toISOString();
  const child = exec.spawn(["logs", "-f", "--timestamps", "--since", since, id]);
  const emit = (stream: LogLineOut["stream"]) => (text: string) => {
    if (stopped) return;
    const parsed = parseLogLine(text, stream);
    if (parsed && parsed.ts >= sinceMs) onLine(parsed);
  };
  splitLines(child.stdout!, emit("stdout"));
  splitLines(child.stderr!, emit("stderr"));
  child.on("error", () => undefined);
  child.on("close", () => {
    if (!stopped) {
      stopped = true;
      onEnd?.();
    }
  });
  return {
    stop() {
      stopped = true;
      kill(child);
    },
  };
}

const RECENT_KEYS = 1024;

export interface EventFollowOptions {
  /** First delay before restarting a follower that exited; doubles up to `maxBackoffMs`. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * `podman events` for managed containers, restarted with exponential backoff
 * whenever it exits (podman upgrade, a crash, a killed child). A restart asks
 * for events `--since` the last one seen so none is lost in the gap; events
 * already delivered (same time, id and status) are not delivered twice. The
 * backoff resets once a follower has delivered an event.
 */
export function followPodmanEvents(
  exec: PodmanExec,
  onEvent: (event: ContainerEvent) => void,
  options: EventFollowOptions = {},
): Subscription {
  const minBackoff = options.minBackoffMs ?? 500;
  const maxBackoff = options.maxBackoffMs ?? 30_000;
  let backoff = minBackoff;
  let stopped = false;
  let child: ChildProcess | undefined;
  let timer: NodeJS.Timeout | undefined;
  let lastTime: string | undefined;
  /** Keys (time, id, status) of recent events, oldest first, to drop replays after a restart. */
  const recent = new Set<string>();

  const onLine = (line: string) => {
    if (stopped) return;
    const event = parseEventLine(line);
    if (!event) return;
    // Podman's own time string keeps nanoseconds, which a Date would lose.
    const time = /"Time":"([^"]+)"/.exec(line)?.[1] ?? event.at.toISOString();
    const key = `${time} ${event.id} ${event.kind}`;
    if (recent.has(key)) return;
    recent.add(key);
    if (recent.size > RECENT_KEYS) recent.delete(recent.values().next().value!);
    lastTime = time;
    backoff = minBackoff;
    onEvent(event);
  };

  const startChild = () => {
    if (stopped) return;
    const args = ["events", "--format", "json", "--filter", "type=container"];
    args.push("--filter", `label=${LABEL_MANAGED}=true`);
    if (lastTime !== undefined) args.push("--since", lastTime);
    const c = exec.spawn(args);
    child = c;
    splitLines(c.stdout!, onLine);
    c.stderr!.resume();
    c.on("error", () => undefined);
    c.on("close", () => {
      if (stopped || child !== c) return;
      timer = setTimeout(startChild, backoff);
      backoff = Math.min(backoff * 2, maxBackoff);
    });
  };

  startChild();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      kill(child);
    },
  };
}
