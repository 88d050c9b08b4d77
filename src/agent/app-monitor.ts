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
  /** How long a container that died must stay down before its app is reported stopped; defaults to 5 s. */
  settleMs?: number;
  /** Restarts within `windowMs` above this many are a crash loop; defaults to 5. */
  crashThreshold?: number;
  /** Defaults to 10 minutes. */
  windowMs?: number;
  setTimer?: SetTimer;
  clearTimer?: ClearTimer;
}

type Reported = "running" | "stopped" | "crashed";

interface AppHealth {
  /** Times of restarts (a start after a death) within the window. */
  restarts: number[];
  /** What the control plane was last told, by this monitor. */
  reported: Reported | undefined;
}

/**
 * Turns the runtime's container events into app health messages (protocol
 * §5). Only containers in the registry that are not `quiet` count: the agent's
 * own stops and restarts never produce reports.
 *
 * - `oom` → `violation` "memory limit exceeded".
 * - `died`, and no `start` within `settleMs`, and the container is not
 *   running then → `app_status` stopped (reason "exited" or "oom killed",
 *   with the exit code), unless a crash loop was already reported.
 * - a `start` after a `died` is a restart; the `crashThreshold + 1`-th restart
 *   within `windowMs` → `app_status` crashed, reason "crashloop", once per
 *   episode. The episode ends at a restart that finds the window back at or
 *   under the threshold.
 * - a `start` of an app last reported stopped or crashed (episode over) →
 *   `app_status` running.
 */
export class AppMonitor implements Service {
  readonly name = "agent-app-monitor";
  readonly #o: AppMonitorOptions;
  readonly #now: () => number;
  readonly #apps = new Map<number, AppHealth>();
  readonly #died = new Map<string, NodeJS.Timeout>();
  readonly #deadIds = new Set<string>();
  #sub: Subscription | undefined;
  #checks = new Set<Promise<void>>();
  /** A new container for an app (a deploy): the control plane counts the app as running; a new episode starts. */
  readonly #onAdded = (c: { appId: number }): void => {
    this.#apps.delete(c.appId);
  };

  constructor(options: AppMonitorOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  start(): Promise<void> {
    if (!this.#sub) this.#o.registry.on("added", this.#onAdded);
    this.#sub ??= this.#o.runtime.events((e) => this.handle(e));
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.#sub?.stop();
    this.#sub = undefined;
    this.#o.registry.off("added", this.#onAdded);
    for (const t of this.#died.values()) (this.#o.clearTimer ?? clearTimeout)(t);
    this.#died.clear();
    await Promise.all([...this.#checks]);
  }

  /** Handles one event (the runtime's follower calls this; tests may too). */
  handle(e: ContainerEvent): void {
    const c = this.#o.registry.get(e.id);
    if (!c || this.#o.registry.isQuiet(e.id)) return;
    const health = this.#health(c.appId);
    switch (e.kind) {
      case "oom":
        this.#o.send("violation", { app_id: c.appId, reason: "memory limit exceeded" });
        return;
      case "died":
        this.#deadIds.add(e.id);
        this.#armSettle(e.id, c.appId);
        return;
      case "start":
        this.#onStart(e.id, c.appId, health);
        return;
      case "remove":
        this.#cancelSettle(e.id);
        this.#deadIds.delete(e.id);
        return;
    }
  }

  #onStart(id: string, appId: number, health: AppHealth): void {
    this.#cancelSettle(id);
    const restarted = this.#deadIds.delete(id);
    if (restarted) {
      const now = this.#now();
      const windowMs = this.#o.windowMs ?? 600_000;
      health.restarts = health.restarts.filter((t) => now - t < windowMs);
      health.restarts.push(now);
      const over = health.restarts.length > (this.#o.crashThreshold ?? 5);
      if (over) {
        if (health.reported !== "crashed") this.#report(appId, health, "crashed", { reason: "crashloop" });
        return;
      }
    }
    if (health.reported === "stopped" || health.reported === "crashed") {
      this.#report(appId, health, "running", {});
    }
  }

  #armSettle(id: string, appId: number): void {
    this.#cancelSettle(id);
    const timer = (this.#o.setTimer ?? setTimeout)(() => {
      this.#died.delete(id);
      const check = this.#checkStillDown(id, appId).catch((err: unknown) =>
        this.#o.log.error({ err, container: id }, "checking a stopped container failed"),
      );
      this.#checks.add(check);
      void check.finally(() => this.#checks.delete(check));
    }, this.#o.settleMs ?? 5_000);
    timer.unref?.();
    this.#died.set(id, timer);
  }

  async #checkStillDown(id: string, appId: number): Promise<void> {
    const info = await this.#o.runtime.inspect(id);
    if (!this.#o.registry.get(id) || this.#o.registry.isQuiet(id)) return;
    if (info && info.state === "running") return;
    const health = this.#health(appId);
    if (health.reported === "crashed" || health.reported === "stopped") return;
    this.#report(appId, health, "stopped", {
      reason: info?.oomKilled ? "oom killed" : "exited",
      exit_code: info?.exitCode ?? null,
    });
  }

  #cancelSettle(id: string): void {
    const t = this.#died.get(id);
    if (t) (this.#o.clearTimer ?? clearTimeout)(t);
    this.#died.delete(id);
  }

  #report(
    appId: number,
    health: AppHealth,
    status: Reported,
    extra: { reason?: string; exit_code?: number | null },
  ): void {
    // Only what reached the control plane counts as reported; a lost report is made again on the next event.
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
