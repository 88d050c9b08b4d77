import {
  BuildError,
  RuntimeError,
  type ContainerEvent,
  type ContainerInfo,
  type ContainerRuntime,
  type ContainerSpec,
  type ContainerState,
  type ContainerStats,
  type LogLineOut,
  type Subscription,
} from "./runtime.js";

/**
 * An in-memory ContainerRuntime for unit tests of the agent. It behaves like
 * podman.ts where the agent can tell (names are unique, a published port is
 * exclusive, a stopped container ends its log followers, `remove` and
 * `removeImage` tolerate missing things, no restart policy) and gives tests
 * the controls a real machine would need hours for: `crash`, `oom`,
 * `pushLog`, `setStats`, `answers`, `buildRule`, `failNext`.
 *
 * Events and log lines are delivered synchronously, inside the call that
 * caused them, in order. Every method call is recorded in `calls`.
 */

export interface FakeContainer {
  id: string;
  spec: ContainerSpec;
  state: ContainerState;
  exitCode: number | null;
  oomKilled: boolean;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** Whether the app "answers" on its host port while running (see `answers`). */
  answering: boolean;
  logs: LogLineOut[];
  stats: Omit<ContainerStats, "id">;
}

export interface BuildOutcome {
  ok: boolean;
  /** Lines passed to `onOutput`, one call each (a newline is added). */
  output: string[];
}

export interface FakeRuntimeOptions {
  now?: () => number;
  /** Whether a new container answers on its port at once; defaults to true. */
  answerOnStart?: boolean;
}

type Method = keyof ContainerRuntime;

export class FakeRuntime implements ContainerRuntime {
  readonly images = new Set<string>();
  readonly networks = new Set<string>();
  readonly containers = new Map<string, FakeContainer>();
  readonly calls: { method: Method; args: unknown[] }[] = [];
  /** Host ports something outside the runtime holds: `run` on them fails as "already in use". */
  readonly busyPorts = new Set<number>();
  /** Decides each build; by default it succeeds with two lines of output. */
  buildRule: (contextDir: string, tag: string) => BuildOutcome = (_dir, tag) => ({
    ok: true,
    output: ["STEP 1/1: FROM base", `COMMIT ${tag}`],
  });
  answerOnStart: boolean;

  private readonly now: () => number;
  private nextId = 1;
  private readonly failures = new Map<Method, Error[]>();
  private readonly eventSubs = new Set<(e: ContainerEvent) => void>();
  private readonly logSubs = new Set<{ id: string; onLine: (l: LogLineOut) => void; end: () => void }>();

  constructor(options: FakeRuntimeOptions = {}) {
    this.now = options.now ?? Date.now;
    this.answerOnStart = options.answerOnStart ?? true;
  }

  // ---- test controls ----

  /** Makes the next call of `method` reject with `error` (queued: one per call). */
  failNext(method: Method, error: Error = new RuntimeError(`${method} failed`)): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), error]);
  }

  /** The container by id or name; throws when there is none (a test bug). */
  get(idOrName: string): FakeContainer {
    const c = this.find(idOrName);
    if (!c) throw new Error(`FakeRuntime: no container ${idOrName}`);
    return c;
  }

  /** True when a running, answering container publishes `hostPort` (an HTTP probe would succeed). */
  answers(hostPort: number): boolean {
    for (const c of this.containers.values()) {
      if (c.spec.hostPort === hostPort && c.state === "running" && c.answering) return true;
    }
    return false;
  }

  setAnswering(idOrName: string, answering: boolean): void {
    this.get(idOrName).answering = answering;
  }

  /** The process exits with `exitCode` on its own: state `exited`, `died` event, log followers end. */
  crash(idOrName: string, exitCode = 1): void {
    this.exit(this.get(idOrName), exitCode, false);
  }

  /** The kernel kills it for its memory limit: `oom` then `died` (137), `oomKilled` set. */
  oom(idOrName: string): void {
    const c = this.get(idOrName);
    this.emit(c, "oom", null);
    this.exit(c, 137, true);
  }

  /** The app writes a line; followers of the container receive it. */
  pushLog(idOrName: string, line: string, stream: LogLineOut["stream"] = "stdout", ts = this.now()): void {
    const c = this.get(idOrName);
    const out = { stream, line, ts };
    c.logs.push(out);
    for (const s of [...this.logSubs]) if (s.id === c.id) s.onLine(out);
  }

  setStats(idOrName: string, stats: Partial<Omit<ContainerStats, "id">>): void {
    const c = this.get(idOrName);
    c.stats = { ...c.stats, ...stats };
  }

  /** Delivers an arbitrary event to every `events` subscriber. */
  emitEvent(event: ContainerEvent): void {
    for (const fn of [...this.eventSubs]) fn(event);
  }

  // ---- ContainerRuntime ----

  private record(method: Method, ...args: unknown[]): void {
    this.calls.push({ method, args });
    const queued = this.failures.get(method);
    const err = queued?.shift();
    if (err) throw err;
  }

  private find(idOrName: string): FakeContainer | undefined {
    for (const c of this.containers.values()) {
      if (
        c.id === idOrName ||
        c.spec.name === idOrName ||
        (idOrName.length >= 12 && c.id.startsWith(idOrName))
      )
        return c;
    }
    return undefined;
  }

  private emit(c: FakeContainer, kind: ContainerEvent["kind"], exitCode: number | null): void {
    this.emitEvent({ id: c.id, kind, labels: { ...c.spec.labels }, exitCode, at: new Date(this.now()) });
  }

  private endFollowers(c: FakeContainer): void {
    for (const s of [...this.logSubs]) if (s.id === c.id) s.end();
  }

  private exit(
    c: FakeContainer,
    exitCode: number,
    oomKilled: boolean,
    state: ContainerState = "exited",
  ): void {
    if (c.state !== "running" && c.state !== "paused") return;
    c.state = state;
    c.exitCode = exitCode;
    c.oomKilled = oomKilled;
    c.finishedAt = new Date(this.now());
    this.emit(c, "died", exitCode);
    this.endFollowers(c);
  }

  private portHolder(c: FakeContainer): FakeContainer | undefined {
    for (const o of this.containers.values()) {
      if (o !== c && o.state === "running" && o.spec.hostPort === c.spec.hostPort) return o;
    }
    return undefined;
  }

  private startContainer(c: FakeContainer): void {
    if (this.busyPorts.has(c.spec.hostPort) || this.portHolder(c)) {
      throw new RuntimeError(`port ${c.spec.hostPort} is already in use`);
    }
    c.state = "running";
    c.exitCode = null;
    c.oomKilled = false;
    c.startedAt = new Date(this.now());
    c.answering = this.answerOnStart;
    this.emit(c, "start", null);
  }

  ensureNetwork(name: string): Promise<void> {
    return this.wrap("ensureNetwork", [name], () => void this.networks.add(name));
  }

  imageExists(ref: string): Promise<boolean> {
    return this.wrap("imageExists", [ref], () => this.images.has(ref));
  }

  build(contextDir: string, tag: string, onOutput: (text: string) => void): Promise<void> {
    return this.wrap("build", [contextDir, tag], () => {
      const outcome = this.buildRule(contextDir, tag);
      for (const line of outcome.output) onOutput(`${line}\n`);
      if (!outcome.ok) {
        const tail = outcome.output.slice(-30).join("\n");
        throw new BuildError(`build failed: ${outcome.output.at(-1) ?? "no output"}`, tail);
      }
      this.images.add(tag);
    });
  }

  run(spec: ContainerSpec): Promise<string> {
    return this.wrap("run", [spec], () => {
      if (!this.images.has(spec.image)) throw new RuntimeError(`image not found: ${spec.image}`);
      if (this.find(spec.name)) throw new RuntimeError(`container name ${spec.name} is already in use`);
      this.networks.add(spec.network);
      const id = (this.nextId++).toString(16).padStart(64, "0");
      const c: FakeContainer = {
        id,
        spec: { ...spec, env: { ...spec.env }, labels: { ...spec.labels } },
        state: "created",
        exitCode: null,
        oomKilled: false,
        startedAt: null,
        finishedAt: null,
        answering: false,
        logs: [],
        stats: {
          cpuPct: 0,
          memBytes: 0,
          memLimitBytes: spec.memoryMb * 1024 * 1024,
          netTotalBytes: 0,
          blockTotalBytes: 0,
        },
      };
      this.containers.set(id, c);
      try {
        this.startContainer(c);
      } catch (err) {
        this.containers.delete(id); // like podman.ts: a failed run leaves nothing behind
        throw err;
      }
      return id;
    });
  }

  inspect(idOrName: string): Promise<ContainerInfo | undefined> {
    return this.wrap("inspect", [idOrName], () => {
      const c = this.find(idOrName);
      return c && this.info(c);
    });
  }

  list(labels: Readonly<Record<string, string>>): Promise<ContainerInfo[]> {
    return this.wrap("list", [labels], () =>
      [...this.containers.values()]
        .filter((c) => Object.entries(labels).every(([k, v]) => c.spec.labels[k] === v))
        .map((c) => this.info(c)),
    );
  }

  stop(idOrName: string, timeoutS: number): Promise<void> {
    return this.wrap("stop", [idOrName, timeoutS], () => {
      const c = this.find(idOrName);
      if (c) this.exit(c, 0, false, "exited");
    });
  }

  start(idOrName: string): Promise<void> {
    return this.wrap("start", [idOrName], () => {
      const c = this.find(idOrName);
      if (!c) throw new RuntimeError(`container not found: ${idOrName}`);
      if (c.state !== "running") this.startContainer(c);
    });
  }

  remove(idOrName: string): Promise<void> {
    return this.wrap("remove", [idOrName], () => {
      const c = this.find(idOrName);
      if (!c) return;
      this.exit(c, 137, false);
      this.containers.delete(c.id);
      this.emit(c, "remove", null);
    });
  }

  removeImage(ref: string): Promise<void> {
    return this.wrap("removeImage", [ref], () => {
      const inUse = [...this.containers.values()].some((c) => c.spec.image === ref);
      if (!inUse) this.images.delete(ref);
    });
  }

  stats(ids: readonly string[]): Promise<ContainerStats[]> {
    return this.wrap("stats", [ids], () =>
      ids
        .map((id) => this.find(id))
        .filter((c): c is FakeContainer => c !== undefined && c.state === "running")
        .map((c) => ({ id: c.id, ...c.stats })),
    );
  }

  followLogs(id: string, sinceMs: number, onLine: (l: LogLineOut) => void, onEnd?: () => void): Subscription {
    this.calls.push({ method: "followLogs", args: [id, sinceMs] });
    const c = this.find(id);
    let active = true;
    const sub = {
      id: c?.id ?? id,
      onLine: (l: LogLineOut) => void (active && onLine(l)),
      end: () => {
        if (!active) return;
        active = false;
        this.logSubs.delete(sub);
        onEnd?.();
      },
    };
    for (const l of c?.logs ?? []) if (l.ts >= sinceMs) sub.onLine(l);
    if (c?.state === "running") this.logSubs.add(sub);
    else queueMicrotask(sub.end); // like `podman logs -f` on a stopped container: prints, then ends
    return { stop: () => void ((active = false), this.logSubs.delete(sub)) };
  }

  events(onEvent: (event: ContainerEvent) => void): Subscription {
    this.calls.push({ method: "events", args: [] });
    const fn = (e: ContainerEvent) => onEvent(e);
    this.eventSubs.add(fn);
    return { stop: () => void this.eventSubs.delete(fn) };
  }

  /** Number of active `events` subscribers (to check the agent stops what it starts). */
  get eventSubscribers(): number {
    return this.eventSubs.size;
  }

  get logFollowers(): number {
    return this.logSubs.size;
  }

  private wrap<T>(method: Method, args: unknown[], body: () => T): Promise<T> {
    try {
      this.record(method, ...args);
      return Promise.resolve(body());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private info(c: FakeContainer): ContainerInfo {
    return {
      id: c.id,
      name: c.spec.name,
      image: c.spec.image,
      state: c.state,
      labels: { ...c.spec.labels },
      exitCode: c.state === "exited" || c.state === "stopped" ? c.exitCode : null,
      oomKilled: c.oomKilled,
      restartCount: 0,
      startedAt: c.startedAt,
      finishedAt: c.finishedAt,
    };
  }
}
