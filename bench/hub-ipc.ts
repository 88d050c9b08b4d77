import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * The IPC protocol between `bench/hub.ts` (the clients) and the server it
 * measures, forked as `hub-server.js`. The server runs in its own process so
 * that its RSS and CPU are its own: clients and signing never count.
 *
 * Counting contract: after `reset`, the server counts every message it
 * handled (ours: the hub's onHandled hook; bare: every frame parsed).
 * `wait` resolves once that count reaches `count`, or once it has not moved
 * for `stallMs`, and says which.
 */

export type ServerMode = "ours" | "bare";

export type HubRequest =
  | { op: "seed"; workerIds: number[]; appsPerWorker: number }
  | { op: "memory" }
  | { op: "reset" }
  | { op: "wait"; count: number; stallMs: number }
  | { op: "report" }
  | { op: "stop" };

/** The server's memory once idle after a forced GC; see `settledMemory` in hub-server.ts. */
export interface MemorySample {
  rss: number;
  /** V8 heap used plus memory outside it held by JS objects (Buffers, WASM). */
  heap: number;
}

export interface WaitReply {
  reached: boolean;
  handled: number;
  /** When the count was reached (or, if it was not, when it last moved), on the `epochMs()` time line. */
  at: number;
  /** The server's user + system CPU since `reset`, in microseconds. */
  cpuMicros: number;
}

export interface Report {
  handled: number;
  /** Receipt-to-handled milliseconds of every counted message (ours only). */
  p50Ms: number | null;
  p99Ms: number | null;
  /** Apps with live stats in the hub's stats store (ours only). */
  liveApps: number | null;
  connections: number;
  /** Warnings and errors the server logged since it started, by message (ours only). */
  logged: Record<string, number>;
}

export interface HubReplies {
  seed: { appIds: number[][] };
  memory: MemorySample;
  reset: Record<string, never>;
  wait: WaitReply;
  report: Report;
  stop: Record<string, never>;
}

export interface Ready {
  port: number;
  /** The master secret (ours only), for registering workers. */
  secret: string | null;
  /** Which database the server uses, without credentials (ours only). */
  database: string | null;
}

export type ToServer = { id: number; req: HubRequest };
export type FromServer =
  | { ready: Ready }
  | { fatal: string }
  | { id: number; ok: true; res: unknown }
  | { id: number; ok: false; error: string };

/** The parent's handle on one forked server: typed request/reply over IPC. */
export class ServerProcess {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private exited: Error | undefined;

  private constructor(
    private readonly child: ChildProcess,
    readonly ready: Ready,
  ) {
    child.on("message", (msg: FromServer) => {
      if (!("id" in msg)) return;
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.ok) p?.resolve(msg.res);
      else p?.reject(new Error(`server: ${msg.error}`));
    });
    child.on("exit", (code) => {
      this.exited = new Error(`the server process exited (code ${code})`);
      for (const p of this.pending.values()) p.reject(this.exited);
      this.pending.clear();
    });
  }

  /** Forks `hub-server.js` in `mode` and resolves once it listens. */
  static start(mode: ServerMode, env: NodeJS.ProcessEnv): Promise<ServerProcess> {
    const entry = fileURLToPath(new URL("./hub-server.js", import.meta.url));
    const child = fork(entry, [mode], {
      env,
      execArgv: ["--expose-gc"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`${mode} server exited (code ${code})`));
      child.once("exit", onExit);
      child.on("message", (msg: FromServer) => {
        if ("fatal" in msg) reject(new Error(`${mode} server failed: ${msg.fatal}`));
        if (!("ready" in msg)) return;
        child.off("exit", onExit);
        resolve(new ServerProcess(child, msg.ready));
      });
    });
  }

  call<K extends HubRequest["op"]>(req: Extract<HubRequest, { op: K }>): Promise<HubReplies[K]> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: (v) => resolve(v as HubReplies[K]), reject });
      this.child.send({ id, req } satisfies ToServer);
    });
  }

  /** Asks the server to shut down cleanly; kills it if it has not exited within 15 s. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 15_000);
    await this.call({ op: "stop" }).catch(() => undefined);
    await exited;
    clearTimeout(timer);
  }
}
