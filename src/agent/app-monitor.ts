import type { Service } from "../lifecycle.js";
import type { LoopLogger } from "../loop.js";
import type { ContainerRegistry } from "./registry.js";
import type { ContainerEvent, ContainerRuntime, Subscription } from "./runtime/runtime.js";
import { RestartPolicy } from "./runtime/restart-policy.js";
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
  /** Restart delays and crash-loop counting (tests shorten the delays); defaults to `new RestartPolicy({ now })`. */
  policy?: RestartPolicy;
  /**
   * Whether the container's last stats sample was near its memory limit: a
   * 137 exit then counts as an OOM kill where the runtime reports none.
   */
  nearMemoryLimit?: (id: string) => boolean;
  /** Called when a managed container started again (its log follower resumes). */
  onStarted?: (id: string) => void;
  setTimer?: SetTimer;
  clearTimer?: ClearTimer;
}

type Reported = "running" | "stopped" | "crashed";

interface AppHealth {
  /** What reached the control plane last, from this monitor. */
  reported: Reported | undefined;
}

/** The exit code of a process killed by SIGKILL, which is how the kernel's OOM kill shows on cgroup v1. */
const SIGKILL_EXIT = 137;
/** The policy's default limit: more restarts than this in its window are a crash loop. */
const CRASHLOOP_RESTARTS = 5;

/**
 * The agent's restart policy in action, and its health reports (protocol §5).
 * Containers run without a runtime restart policy, so this is what restarts
 * them, with delays and crash-loop counting from `RestartPolicy` (per app).
 * Only containers in the registry that are not `quiet` count: the agent's own
 * stops, removals and restarts never produce reports or restarts.
 *
 * - `oom`, or `died` with 137 where inspect says OOM-killed or the last
 *   stats sample was near the memory limit → `violation` "memory limit
 *   exceeded" (once per death).
 * - `died` with a non-zero (or unknown) exit code → started again after the
 *   policy's delay; when the policy says this is a crash loop (more than 5
 *   restarts in 10 minutes) → `app_status` crashed, reason "crashloop", once
 *   per episode, and restarts go on. A restart that fails → `app_status` stopped.
 * - `died` with 0, still not running `settleMs` later → `app_status` stopped
 *   (reason "exited", exit code 0), unless a crash loop is being reported.
 * - a `start` of an app last reported stopped, or crashed with its window
 *   back at or under the limit → `app_status` running.
 * - a new container for the app (a deploy) starts a new episode.
 * A report that could not be sent (no connection) is not counted as made.
 */
export class AppMonitor implements Service {
  readonly name = "agent-app-monitor";
  readonly #o: AppMonitorOptions;
  readonly #policy: RestartPolicy;
  readonly #apps = new Map<number, AppHealth>();
  readonly #pending = new Map<string, NodeJS.Timeout>();
  readonly #deadIds = new Set<string>();
  readonly #oomReported = new Set<string>();
  readonly #work = new Set<Promise<void>>();
  #sub: Subscription | undefined;
  /** A new container for an app (a deploy): the control plane counts the app as running; a new episode starts. */
  readonly #onAdded = (c: { appId: number }): void => {
    this.#apps.delete(c.appId);
    this.#policy.forget(String(c.appId));
  };

  constructor(options: AppMonitorOptions) {
    this.#o = options;
    this.#policy = options.policy ?? new RestartPolicy(options.now ? { now: options.now } : {});
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
    if (this.#o.send("violation", { app_id: appId, reason: "memory limit exceeded" }))
      this.#oomReported.add(id);
  }

  #onStart(id: string, appId: number): void {
    this.#cancel(id);
    this.#oomReported.delete(id);
    this.#deadIds.delete(id);
    this.#o.onStarted?.(id);
    const health = this.#health(appId);
    const recovered =
      health.reported === "stopped" ||
      (health.reported === "crashed" && this.#policy.count(String(appId)) <= CRASHLOOP_RESTARTS);
    if (recovered) this.#report(appId, health, "running", {});
  }

  /** After a death: restart a failed container after the policy's delay, or check a clean exit stayed down. */
  #later(id: string, appId: number, exitCode: number | null): void {
    this.#cancel(id);
    const decision = this.#policy.onDeath(String(appId), exitCode);
    const health = this.#health(appId);
    if (decision.action === "restart" && decision.crashloop && health.reported !== "crashed") {
      this.#report(appId, health, "crashed", { reason: "crashloop" });
    }
    const restart = decision.action === "restart";
    const delay = restart ? decision.delayMs : (this.#o.settleMs ?? 2_000);
    const timer = (this.#o.setTimer ?? setTimeout)(() => {
      this.#pending.delete(id);
      this.#track(restart ? this.#restart(id, appId, exitCode) : this.#checkStillDown(id, appId));
    }, delay);
    timer.unref?.();
    this.#pending.set(id, timer);
  }

  async #restart(id: string, appId: number, exitCode: number | null): Promise<void> {
    const info = await this.#o.runtime.inspect(id);
    if (!this.#o.registry.get(id) || this.#o.registry.isQuiet(id)) return;
    // cgroup v1 shows an OOM kill only as a 137 exit: inspect may say so, else memory near the limit does.
    if (exitCode === SIGKILL_EXIT && (info?.oomKilled || this.#o.nearMemoryLimit?.(id))) {
      this.#violation(id, appId);
    }
    if (!info) {
      this.#report(appId, this.#health(appId), "stopped", {
        reason: "container is gone",
        exit_code: exitCode,
      });
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

  #report(
    appId: number,
    health: AppHealth,
    status: Reported,
    extra: { reason?: string; exit_code?: number | null },
  ): void {
    if (this.#o.send("app_status", { app_id: appId, status, ...extra })) health.reported = status;
  }

  #health(appId: number): AppHealth {
    let h = this.#apps.get(appId);
    if (!h) {
      h = { reported: undefined };
      this.#apps.set(appId, h);
    }
    return h;
  }
}
