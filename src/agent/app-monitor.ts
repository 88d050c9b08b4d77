import type { Service } from "../lifecycle.js";
import type { LoopLogger } from "../loop.js";
import type { ContainerRegistry } from "./registry.js";
import type { ContainerEvent, ContainerRuntime, Subscription } from "./runtime/runtime.js";
import type { ClearTimer, Send, SetTimer } from "./send.js";

export interface AppMonitorOptions {
  runtime: ContainerRuntime;
  registry: ContainerRegistry;
  send: Send;
  log: LoopLogger;
  /** Milliseconds since the epoch; drives the crash-loop window. */
  now?: () => number;
  /** How long a container that exited cleanly must stay down before its app is reported stopped; defaults to 2 s. */
  settleMs?: number;
  /** Delay before restarting a container that failed, by restarts in the window so far; defaults to `defaultRestartDelayMs`. */
  restartDelayMs?: (restartsInWindow: number) => number;
  /** Restarts within `windowMs` above this many are a crash loop; defaults to 5. */
  crashThreshold?: number;
  /** Defaults to 10 minutes. */
  windowMs?: number;
  /** Called when a managed container started again (its log follower resumes). */
  onStarted?: (id: string) => void;
  setTimer?: SetTimer;
  clearTimer?: ClearTimer;
}

/** 1 s, doubling per restart in the window, capped at 30 s. */
export function defaultRestartDelayMs(restartsInWindow: number): number {
  return Math.min(30_000, 1_000 * 2 ** Math.min(restartsInWindow, 5));
}

type Reported = "running" | "stopped" | "crashed";

interface AppHealth {
  /** Times of restarts (a start after a death) within the window. */
  restarts: number[];
  /** What reached the control plane last, from this monitor. */
  reported: Reported | undefined;
}

/** The exit code of a process killed by SIGKILL, which is how the kernel's OOM kill shows on cgroup v1. */
const SIGKILL_EXIT = 137;

/**
 * The agent's restart policy and health reports (protocol §5). Containers run
 * without a runtime restart policy, so this is what restarts them. Only
 * containers in the registry that are not `quiet` count: the agent's own
 * stops, removals and restarts never produce reports or restarts.
 *
 * - `oom`, or `died` with 137 where inspect says OOM-killed → `violation`
 *   "memory limit exceeded" (once per death).
 * - `died` with a non-zero (or unknown) exit code → started again after
 *   `restartDelayMs`; a start that fails → `app_status` stopped.
 * - `died` with 0, still not running `settleMs` later → `app_status` stopped
 *   (reason "exited", exit code), unless a crash loop is being reported.
 * - a `start` after a `died` is a restart; more than `crashThreshold` within
 *   `windowMs` → `app_status` crashed, reason "crashloop", once per episode;
 *   restarts go on. The episode ends at a restart that finds the window back
 *   at or under the threshold, or with a new deployment of the app.
 * - a `start` of an app last reported stopped or crashed (episode over) →
 *   `app_status` running.
 * A report that could not be sent (no connection) is not counted as made.
 */
export class AppMonitor implements Service {
  readonly name = "agent-app-monitor";
  readonly #o: AppMonitorOptions;
  readonly #now: () => number;
  readonly #apps = new Map<number, AppHealth>();
  readonly #pending = new Map<string, NodeJS.Timeout>();
  readonly #deadIds = new Set<string>();
  readonly #oomReported = new Set<string>();
  readonly #work = new Set<Promise<void>>();
  #sub: Subscription | undefined;
  /** A new container for an app (a deploy): the control plane counts the app as running; a new episode starts. */
  readonly #onAdded = (c: { appId: number }): void => {
    this.#apps.delete(c.appId);
  };

  constructor(options: AppMonitorOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  start(): Promise<void> {
    if (this.#sub) return Promise.resolve();
    this.#o.registry.on("added", this.#onAdded);
    this.#sub = this.#o.runtime.events((e) => this.handle(e));
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.#sub?.stop();
    this.#sub = undefined;
    this.#o.registry.off("added", this.#onAdded);
    for (const t of this.#pending.values()) (this.#o.clearTimer ?? clearTimeout)(t);
    this.#pending.clear();
    await Promise.all([...this.#work]);
  }

  /** Handles one event (the runtime's follower calls this; tests may too). */
  handle(e: ContainerEvent): void {
    const c = this.#o.registry.get(e.id);
    if (!c || this.#o.registry.isQuiet(e.id)) return;
    switch (e.kind) {
      case "oom":
        this.#violation(e.id, c.appId);
        return;
      case "died":
        this.#deadIds.add(e.id);
        this.#later(e.id, c.appId, e.exitCode);
        return;
      case "start":
        this.#onStart(e.id, c.appId);
        return;
      case "remove":
        this.#cancel(e.id);
        this.#deadIds.delete(e.id);
        return;
    }
  }

  #violation(id: string, appId: number): void {
    if (this.#oomReported.has(id)) return;
    if (this.#o.send("violation", { app_id: appId, reason: "memory limit exceeded" })) this.#oomReported.add(id);
  }

  #onStart(id: string, appId: number): void {
    this.#cancel(id);
    this.#oomReported.delete(id);
    this.#o.onStarted?.(id);
    const health = this.#health(appId);
    if (this.#deadIds.delete(id)) {
      const now = this.#now();
      health.restarts = health.restarts.filter((t) => now - t < (this.#o.windowMs ?? 600_000));
      health.restarts.push(now);
      if (health.restarts.length > (this.#o.crashThreshold ?? 5)) {
        if (health.reported !== "crashed") this.#report(appId, health, "crashed", { reason: "crashloop" });
        return;
      }
    }
    if (health.reported === "stopped" || health.reported === "crashed") this.#report(appId, health, "running", {});
  }

  /** After a death: restart a failed container after its delay, or check a clean exit stayed down. */
  #later(id: string, appId: number, exitCode: number | null): void {
    this.#cancel(id);
    const failed = exitCode !== 0;
    const health = this.#health(appId);
    const delay = failed
      ? (this.#o.restartDelayMs ?? defaultRestartDelayMs)(health.restarts.length)
      : (this.#o.settleMs ?? 2_000);
    const timer = (this.#o.setTimer ?? setTimeout)(() => {
      this.#pending.delete(id);
      this.#track(failed ? this.#restart(id, appId, exitCode) : this.#checkStillDown(id, appId));
    }, delay);
    timer.unref?.();
    this.#pending.set(id, timer);
  }

  async #restart(id: string, appId: number, exitCode: number | null): Promise<void> {
    const info = await this.#o.runtime.inspect(id);
    if (!this.#o.registry.get(id) || this.#o.registry.isQuiet(id)) return;
    // cgroup v1 shows an OOM kill only as a 137 exit; inspect tells whether the kernel did it.
    if (exitCode === SIGKILL_EXIT && info?.oomKilled) this.#violation(id, appId);
    if (!info) {
      this.#report(appId, this.#health(appId), "stopped", { reason: "container is gone", exit_code: exitCode });
      return;
    }
    if (info.state === "running") return;
    try {
      await this.#o.runtime.start(id);
    } catch (err) {
      this.#o.log.error({ err, container: id }, "restarting a failed container failed");
      this.#report(appId, this.#health(appId), "stopped", {
        reason: info.oomKilled ? "oom killed" : "exited",
        exit_code: info.exitCode ?? exitCode,
      });
    }
  }

  async #checkStillDown(id: string, appId: number): Promise<void> {
    const info = await this.#o.runtime.inspect(id);
    if (!this.#o.registry.get(id) || this.#o.registry.isQuiet(id)) return;
    if (info && info.state === "running") return;
    const health = this.#health(appId);
    if (health.reported === "crashed" || health.reported === "stopped") return;
    this.#report(appId, health, "stopped", {
      reason: info?.oomKilled ? "oom killed" : "exited",
      exit_code: info?.exitCode ?? 0,
    });
  }

  #track(work: Promise<void>): void {
    const p = work.catch((err: unknown) => this.#o.log.error({ err }, "app monitor check failed"));
    this.#work.add(p);
    void p.finally(() => this.#work.delete(p));
  }

  #cancel(id: string): void {
    const t = this.#pending.get(id);
    if (t) (this.#o.clearTimer ?? clearTimeout)(t);
    this.#pending.delete(id);
  }

  #report(appId: number, health: AppHealth, status: Reported, extra: { reason?: string; exit_code?: number | null }): void {
    if (this.#o.send("app_status", { app_id: appId, status, ...extra })) health.reported = status;
  }

  #health(appId: number): AppHealth {
    let h = this.#apps.get(appId);
    if (!h) {
      h = { restarts: [], reported: undefined };
      this.#apps.set(appId, h);
    }
    return h;
  }
}
