import { podmanBuild } from "./podman-build.js";
import { PodmanCallError, PodmanExec, lastLine, type PodmanExecOptions } from "./podman-exec.js";
import { followPodmanEvents, followPodmanLogs, type EventFollowOptions } from "./podman-follow.js";
import { parseInspect, parseJsonList, parseStatsLine } from "./podman-parse.js";
import {
  RuntimeError,
  type ContainerEvent,
  type ContainerInfo,
  type ContainerRuntime,
  type ContainerSpec,
  type ContainerStats,
  type LogLineOut,
  type Subscription,
} from "./runtime.js";

/**
 * ContainerRuntime on the `podman` CLI (4.3+), one child process per call,
 * always with an argument array. Errors are RuntimeErrors whose message a
 * user can act on ("image not found: x", "port 20001 is already in use");
 * none carries a command line, since `run` passes env values as arguments.
 *
 * Restart policy: containers run with `--restart no` and the agent restarts
 * them itself (see restart-policy.ts). Podman 4.3 restarts an `on-failure`
 * container immediately, with no backoff (measured here: 11 restarts in 8 s
 * for an app that exits at once), so a crash-looping app would keep conmon
 * and runc busy and flood the event stream, and `on-failure:N` caps restarts
 * over the container's whole life, not per 10 minutes. With the agent in
 * charge, crash-loop detection (more than 5 restarts in 10 min) and a
 * growing delay between restarts use one clock and one counter.
 */

export interface PodmanRuntimeOptions extends PodmanExecOptions {
  /** Deadline for a build; defaults to 15 min. */
  buildTimeoutMs?: number;
  /** Seconds `remove` waits after SIGTERM before SIGKILL on a running container; defaults to 10. */
  removeStopTimeoutS?: number;
  events?: EventFollowOptions;
}

const NO_SUCH_CONTAINER = /no such container|no container with (name or )?id/i;
const NO_SUCH_IMAGE = /image not known|no such image|image not found|failed to resolve image/i;
/** Podman tried to pull a missing image and could not (no registry, unknown repository, denied). */
const PULL_FAILED =
  /initializing source|pinging container registry|manifest unknown|repository .* not found|denied|unable to pull|error pulling|trying to pull/i;
const IMAGE_IN_USE = /image is in use|in use by a container|image used by/i;
const NAME_IN_USE = /name "[^"]*" is already in use|that name is already in use/i;
const PORT_IN_USE = /address already in use/i;

/** A CPU sample older than this (1 h) belongs to a container no longer sampled; it is forgotten. */
const STALE_CPU_NS = 3_600_000_000_000n;

/** Keys podman accepts for `--env K=V`; others (with `=`, spaces) would be misread. */
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function stderrOf(err: unknown): string {
  return err instanceof PodmanCallError ? err.stderr : "";
}

export class PodmanRuntime implements ContainerRuntime {
  readonly exec: PodmanExec;
  private readonly buildTimeoutMs: number;
  private readonly removeStopTimeoutS: number;
  private readonly eventOptions: EventFollowOptions;
  /** Last CPU counter per container, so `stats` reports CPU since the previous sample. */
  private readonly lastCpu = new Map<string, { nanos: number; atNs: bigint }>();

  constructor(options: PodmanRuntimeOptions = {}) {
    this.exec = new PodmanExec(options);
    this.buildTimeoutMs = options.buildTimeoutMs ?? 15 * 60_000;
    this.removeStopTimeoutS = options.removeStopTimeoutS ?? 10;
    this.eventOptions = options.events ?? {};
  }

  /** Runs a call; any failure becomes a RuntimeError with podman's last stderr line. */
  private async call(args: readonly string[]): Promise<string> {
    try {
      return (await this.exec.run(args)).stdout;
    } catch (err) {
      throw this.toRuntimeError(err);
    }
  }

  private toRuntimeError(err: unknown, context?: { image?: string; hostPort?: number }): RuntimeError {
    const stderr = stderrOf(err);
    if (context?.hostPort !== undefined && PORT_IN_USE.test(stderr)) {
      return new RuntimeError(`port ${context.hostPort} is already in use`);
    }
    if (context?.image !== undefined && NO_SUCH_IMAGE.test(stderr)) {
      return new RuntimeError(`image not found: ${context.image}`);
    }
    if (context?.image !== undefined && PULL_FAILED.test(stderr)) {
      return new RuntimeError(`image not found: ${context.image} (pulling it failed: ${lastLine(stderr)})`);
    }
    if (err instanceof PodmanCallError) return new RuntimeError(err.message);
    return new RuntimeError(`podman failed: ${err instanceof Error ? err.message : String(err)}`);
  }

  async ensureNetwork(name: string): Promise<void> {
    try {
      await this.exec.run(["network", "exists", name]);
      return;
    } catch (err) {
      if (!(err instanceof PodmanCallError) || err.exitCode !== 1) throw this.toRuntimeError(err);
    }
    try {
      await this.exec.run(["network", "create", name]);
    } catch (err) {
      // Another caller may have created it in between.
      if (!/already exists/i.test(stderrOf(err))) throw this.toRuntimeError(err);
    }
  }

  async imageExists(ref: string): Promise<boolean> {
    try {
      await this.exec.run(["image", "exists", ref]);
      return true;
    } catch (err) {
      if (err instanceof PodmanCallError && err.exitCode === 1) return false;
      throw this.toRuntimeError(err);
    }
  }

  build(contextDir: string, tag: string, onOutput: (text: string) => void): Promise<void> {
    return podmanBuild(this.exec, contextDir, tag, onOutput, this.buildTimeoutMs);
  }

  /**
   * `podman run -d` with the spec's limits (swap capped at the memory limit,
   * so the limit is real), labels, env and one published port, and no restart
   * policy. A failed run removes whatever it created, so the name is free
   * for a retry.
   */
  async run(spec: ContainerSpec): Promise<string> {
    const badKey = Object.keys(spec.env).find((k) => !ENV_KEY.test(k));
    if (badKey !== undefined) throw new RuntimeError(`invalid environment variable name: ${badKey}`);
    const args = ["run", "-d", "--name", spec.name, "--network", spec.network, "--restart", "no"];
    for (const [k, v] of Object.entries(spec.labels)) args.push("--label", `${k}=${v}`);
    for (const [k, v] of Object.entries(spec.env)) args.push("--env", `${k}=${v}`);
    args.push("--cpus", String(spec.cpuMillicores / 1000));
    args.push("--memory", `${spec.memoryMb}m`, "--memory-swap", `${spec.memoryMb}m`);
    args.push("-p", `${spec.hostIp}:${spec.hostPort}:${spec.internalPort}`);
    args.push(spec.image);
    try {
      const { stdout } = await this.exec.run(args);
      return stdout.trim().split("\n").pop()!.trim();
    } catch (err) {
      // The name belongs to another container: leave that one alone.
      if (NAME_IN_USE.test(stderrOf(err))) {
        throw new RuntimeError(`container name ${spec.name} is already in use`);
      }
      await this.remove(spec.name).catch(() => undefined);
      throw this.toRuntimeError(err, { image: spec.image, hostPort: spec.hostPort });
    }
  }

  async inspect(idOrName: string): Promise<ContainerInfo | undefined> {
    try {
      const { stdout } = await this.exec.run(["container", "inspect", "--format", "json", idOrName]);
      const first = parseJsonList(stdout)[0];
      return first === undefined ? undefined : parseInspect(first);
    } catch (err) {
      if (NO_SUCH_CONTAINER.test(stderrOf(err)) || /no such object/i.test(stderrOf(err))) return undefined;
      throw this.toRuntimeError(err);
    }
  }

  /** `ps` finds the ids; one `container inspect` gives the details (one per id if some vanished in between). */
  async list(labels: Readonly<Record<string, string>>): Promise<ContainerInfo[]> {
    const args = ["ps", "-a", "--format", "json"];
    for (const [k, v] of Object.entries(labels)) args.push("--filter", `label=${k}=${v}`);
    const ids = parseJsonList(await this.call(args))
      .map((c) => (typeof c.Id === "string" ? c.Id : typeof c.ID === "string" ? c.ID : ""))
      .filter((id) => id !== "");
    if (ids.length === 0) return [];
    try {
      const { stdout } = await this.exec.run(["container", "inspect", "--format", "json", ...ids]);
      return parseJsonList(stdout).map(parseInspect);
    } catch {
      const each = await Promise.all(ids.map((id) => this.inspect(id)));
      return each.filter((c): c is ContainerInfo => c !== undefined);
    }
  }

  async stop(idOrName: string, timeoutS: number): Promise<void> {
    try {
      await this.exec.run(["stop", "-t", String(Math.max(0, Math.round(timeoutS))), idOrName], {
        timeoutMs: (timeoutS + 60) * 1000,
      });
    } catch (err) {
      if (!NO_SUCH_CONTAINER.test(stderrOf(err))) throw this.toRuntimeError(err);
    }
  }

  async start(idOrName: string): Promise<void> {
    try {
      await this.exec.run(["start", idOrName]);
    } catch (err) {
      if (NO_SUCH_CONTAINER.test(stderrOf(err))) throw new RuntimeError(`container not found: ${idOrName}`);
      const port = /:(\d+): bind: address already in use/.exec(stderrOf(err))?.[1];
      throw this.toRuntimeError(err, port === undefined ? {} : { hostPort: Number(port) });
    }
  }

  async remove(idOrName: string): Promise<void> {
    const t = String(this.removeStopTimeoutS);
    await this.exec
      .run(["rm", "-f", "-i", "-t", t, idOrName], {
        timeoutMs: (this.removeStopTimeoutS + 60) * 1000,
      })
      .catch((err: unknown) => {
        if (!NO_SUCH_CONTAINER.test(stderrOf(err))) throw this.toRuntimeError(err);
      });
  }

  async removeImage(ref: string): Promise<void> {
    try {
      await this.exec.run(["rmi", ref]);
    } catch (err) {
      const stderr = stderrOf(err);
      if (NO_SUCH_IMAGE.test(stderr) || IMAGE_IN_USE.test(stderr)) return;
      throw this.toRuntimeError(err);
    }
  }

  /**
   * Raw counters from `podman stats --no-stream --format '{{json .ContainerStats}}'`.
   * CPU is computed from the CPU-nanosecond counter over the wall time since
   * this runtime's previous sample of the container (podman's one-shot CPU
   * figure is the average over the container's life, used for a first sample).
   */
  async stats(ids: readonly string[]): Promise<ContainerStats[]> {
    if (ids.length === 0) return [];
    const sample = async (which: readonly string[]) => {
      const args = ["stats", "--no-stream", "--no-reset", "--format", "{{json .ContainerStats}}", ...which];
      const { stdout } = await this.exec.run(args);
      return parseJsonList(stdout).map(parseStatsLine);
    };
    let raws;
    try {
      raws = await sample(ids);
    } catch {
      // One stopped or vanished container fails the whole call: sample the rest one by one.
      raws = (await Promise.all(ids.map((id) => sample([id]).catch(() => [])))).flat();
    }
    const atNs = process.hrtime.bigint();
    for (const [id, prev] of this.lastCpu) if (atNs - prev.atNs > STALE_CPU_NS) this.lastCpu.delete(id);
    return raws.map((r) => {
      const prev = this.lastCpu.get(r.id);
      this.lastCpu.set(r.id, { nanos: r.cpuNanos, atNs });
      let cpuPct = r.cpuPct;
      if (prev && atNs > prev.atNs && r.cpuNanos >= prev.nanos) {
        cpuPct = ((r.cpuNanos - prev.nanos) / Number(atNs - prev.atNs)) * 100;
      }
      return {
        id: r.id,
        cpuPct,
        memBytes: r.memBytes,
        memLimitBytes: r.memLimitBytes,
        netTotalBytes: r.netTotalBytes,
        blockTotalBytes: r.blockTotalBytes,
      };
    });
  }

  followLogs(
    id: string,
    sinceMs: number,
    onLine: (line: LogLineOut) => void,
    onEnd?: () => void,
  ): Subscription {
    return followPodmanLogs(this.exec, id, sinceMs, onLine, onEnd);
  }

  events(onEvent: (event: ContainerEvent) => void): Subscription {
    return followPodmanEvents(this.exec, onEvent, this.eventOptions);
  }
}
