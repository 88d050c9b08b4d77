/**
 * The container runtime the agent drives, behind an interface so the job
 * runner and monitors are tested against a fake (fake-runtime.ts) and run on
 * Podman (podman.ts) in production. Every name, image and label that reaches
 * an implementation was validated by the control plane, and implementations
 * pass them as separate arguments, never through a shell.
 */

/** Labels that identify what a container belongs to; the agent adopts containers by them after a restart. */
export const LABEL_MANAGED = "io.wisehosting.managed";
export const LABEL_APP_ID = "io.wisehosting.app-id";
export const LABEL_DEPLOYMENT_ID = "io.wisehosting.deployment-id";
export const LABEL_HOST_PORT = "io.wisehosting.host-port";

export interface ContainerSpec {
  /** Unique container name, e.g. `wh-<slug>-d<deploymentId>`. */
  name: string;
  image: string;
  env: Readonly<Record<string, string>>;
  cpuMillicores: number;
  memoryMb: number;
  /** The Podman network the container joins (created on demand). */
  network: string;
  /** The port the app listens on inside the container. */
  internalPort: number;
  /** Where the app is published: `hostIp:hostPort` → `internalPort`. */
  hostIp: string;
  hostPort: number;
  labels: Readonly<Record<string, string>>;
}

export type ContainerState = "created" | "running" | "paused" | "exited" | "stopped" | "unknown";

export interface ContainerInfo {
  id: string;
  name: string;
  image: string;
  state: ContainerState;
  labels: Readonly<Record<string, string>>;
  /** Meaningful once the container has exited. */
  exitCode: number | null;
  /** True when the kernel killed it for its memory limit. */
  oomKilled: boolean;
  /**
   * How many times a runtime restart policy restarted it: always 0 for
   * containers `run` made, since they have none (the agent restarts them,
   * see restart-policy.ts); kept for containers found on the machine.
   */
  restartCount: number;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** One sample of a container's resource use, in raw numbers (never human-readable strings). */
export interface ContainerStats {
  id: string;
  /** CPU use in percent of one core, since the previous sample. */
  cpuPct: number;
  memBytes: number;
  memLimitBytes: number;
  /** Bytes received + sent, over all interfaces, since the container started. */
  netTotalBytes: number;
  /** Bytes read + written on block devices since the container started. */
  blockTotalBytes: number;
}

/** What the runtime reports about containers as it happens. */
export interface ContainerEvent {
  id: string;
  /**
   * `died`: the process exited (nothing starts it again but the agent);
   * `oom`: killed for its memory limit (followed by `died`; Podman 4.3 with
   * runc on cgroup v1 never reports it: there the kill is only `died` with
   * exit code 137).
   */
  kind: "start" | "died" | "oom" | "remove";
  labels: Readonly<Record<string, string>>;
  exitCode: number | null;
  at: Date;
}

export interface LogLineOut {
  stream: "stdout" | "stderr";
  line: string;
  /** Milliseconds since the epoch. */
  ts: number;
}

/** Stops a long-running follower (logs, events); idempotent. */
export interface Subscription {
  stop(): void;
}

/** A build that failed: `tail` holds its last output lines, for an error the user can act on. */
export class BuildError extends Error {
  constructor(
    message: string,
    readonly tail: string,
  ) {
    super(message);
    this.name = "BuildError";
  }
}

/** A runtime call that failed; `message` is what a user can read (never a command line with secrets). */
export class RuntimeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RuntimeError";
  }
}

export interface ContainerRuntime {
  /** Creates the network if it does not exist. */
  ensureNetwork(name: string): Promise<void>;
  imageExists(ref: string): Promise<boolean>;
  /**
   * Builds `contextDir` (which holds a Containerfile or Dockerfile) as `tag`,
   * calling `onOutput` with each chunk of build output as it is produced.
   * Rejects with BuildError (with the output's tail) when the build fails.
   */
  build(contextDir: string, tag: string, onOutput: (text: string) => void): Promise<void>;
  /**
   * Creates and starts the container, with no runtime restart policy (the
   * agent restarts containers that die: restart-policy.ts); resolves with its
   * id. A failed run leaves no container behind.
   */
  run(spec: ContainerSpec): Promise<string>;
  /** Undefined when no such container exists. */
  inspect(idOrName: string): Promise<ContainerInfo | undefined>;
  /** Containers (running or not) carrying every given label. */
  list(labels: Readonly<Record<string, string>>): Promise<ContainerInfo[]>;
  /** Stops it (SIGTERM, then SIGKILL after `timeoutS`); a missing or stopped container is not an error. */
  stop(idOrName: string, timeoutS: number): Promise<void>;
  /** Starts an existing, stopped container again. */
  start(idOrName: string): Promise<void>;
  /** Removes it, stopping it first if needed; a missing container is not an error. */
  remove(idOrName: string): Promise<void>;
  /** Removes the image; a missing or in-use image is not an error. */
  removeImage(ref: string): Promise<void>;
  /** One sample for each of the given running containers (missing ones are left out). */
  stats(ids: readonly string[]): Promise<ContainerStats[]>;
  /**
   * Follows the container's output from `sinceMs`; lines arrive in order per
   * stream. The follow ends when the container stops: `onEnd` is then called
   * once (never after `stop()`), and the agent follows again after a restart,
   * from the last line's `ts + 1`.
   */
  followLogs(
    id: string,
    sinceMs: number,
    onLine: (line: LogLineOut) => void,
    onEnd?: () => void,
  ): Subscription;
  /** Follows container events of managed containers until stopped; restarts the follower if it dies. */
  events(onEvent: (event: ContainerEvent) => void): Subscription;
}
