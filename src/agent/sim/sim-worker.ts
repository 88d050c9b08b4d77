import { EventEmitter } from "node:events";

import { generateApiKey } from "../../crypto/api-key.js";
import type { Service } from "../../lifecycle.js";
import { Loop } from "../../loop.js";
import type { LoopLogger } from "../../loop.js";
import type { PayloadInput, WorkerMessageSchemas } from "../../protocol/messages.js";
import type { AppStatsEntry } from "../../protocol/messages-worker.js";
import { ConnectionClosedError } from "./errors.js";
import type { RegisteredWorker } from "./http-client.js";
import { registerWorker } from "./http-client.js";
import type { SimApp } from "./sim-state.js";
import { fakeAppStats, fakeHeartbeat, finishJob } from "./sim-state.js";
import type { SimWorkerEvents, SimWorkerOptions } from "./sim-options.js";
import { registrationRequest } from "./sim-options.js";
import { SimTimers } from "./sim-timers.js";
import { TokenKeeper } from "./token-keeper.js";
import type { InboundMessageOf } from "./worker-connection.js";
import { WorkerConnection } from "./worker-connection.js";

export type { JobOutcome, SimApp } from "./sim-state.js";
export type { JobBehaviour, SimWorkerEvents, SimWorkerOptions } from "./sim-options.js";

/**
 * A pretend worker that speaks protocol v1 through a `WorkerConnection`:
 * registers once, connects with its JWT, sends heartbeats and `app_stats` on
 * setTimeout chains, answers each `job` (one at a time, in arrival order)
 * with `job_status` then, after the behaviour's delay, `job_result`, and
 * refreshes its JWT `refreshLeadMs` before expiry. It does not reconnect on
 * its own: after `disconnected`, call `stop()` then `start()`.
 */
export class SimWorker extends EventEmitter<SimWorkerEvents> implements Service {
  readonly name: string;
  readonly apiKey: string;
  readonly #opts: SimWorkerOptions;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #log: LoopLogger;
  readonly #timers: SimTimers;
  readonly #apps = new Map<number, SimApp>();
  readonly #tokens: TokenKeeper;
  #worker: RegisteredWorker | undefined;
  #conn: WorkerConnection | undefined;
  #loops: Loop<number | null>[] = [];
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #jobs: Promise<void> = Promise.resolve();
  #startedAt = 0;

  constructor(options: SimWorkerOptions) {
    super();
    this.#opts = options;
    this.name = `sim-worker:${options.name}`;
    this.apiKey = options.apiKey ?? generateApiKey();
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#log = options.log ?? { error: () => undefined };
    this.#timers = new SimTimers(options.setTimer, options.clearTimer);
    this.#tokens = new TokenKeeper({
      baseUrl: options.baseUrl,
      apiKey: this.apiKey,
      ...(options.refreshLeadMs !== undefined ? { refreshLeadMs: options.refreshLeadMs } : {}),
      ...(options.refreshRetryMs !== undefined ? { refreshRetryMs: options.refreshRetryMs } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      now: this.#now,
      setTimer: this.#timers.set,
      clearTimer: this.#timers.clear,
      log: this.#log,
      onRefreshed: (token) => this.emit("tokenRefreshed", token),
    });
  }

  get connection(): WorkerConnection | undefined {
    return this.#conn;
  }
  get worker(): RegisteredWorker | undefined {
    return this.#worker;
  }
  get token(): string | undefined {
    return this.#tokens.current?.token;
  }
  /** The apps it pretends to run, by app id. */
  get apps(): ReadonlyMap<number, SimApp> {
    return this.#apps;
  }

  /** Registers (first time only), connects and starts the loops. Concurrent calls share one attempt. */
  start(): Promise<void> {
    this.#starting ??= this.#start().catch((err: unknown) => {
      this.#starting = undefined;
      throw err;
    });
    return this.#starting;
  }

  /** Stops loops and timers, abandons jobs in flight and closes the socket. Idempotent; safe before start. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop().finally(() => {
      this.#stopping = undefined;
    });
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    const starting = this.#starting;
    this.#starting = undefined;
    await starting?.catch(() => undefined);
    // Detach first: a job that resumes after this sees a foreign connection and sends nothing more.
    const conn = this.#conn;
    this.#conn = undefined;
    this.#tokens.stop();
    this.#timers.clearAll();
    await Promise.all(this.#loops.splice(0).map((loop) => loop.stop()));
    if (conn) await conn.close(1000, "stopping");
    await this.#jobs;
  }

  sendHeartbeat(): number {
    const payload = fakeHeartbeat({
      cpuMillicores: this.#opts.cpuMillicores,
      memoryMb: this.#opts.memoryMb,
      apps: this.#apps.values(),
      uptimeS: (this.#now() - this.#startedAt) / 1000,
      agentVersion: this.#opts.agentVersion ?? "1.0.0-sim",
      random: this.#random,
    });
    return this.#open().send("heartbeat", payload);
  }

  /** Sends `apps`, or fake stats for every app it runs when `apps` is omitted. */
  sendAppStats(apps?: AppStatsEntry[]): number {
    const intervalS = this.#statsIntervalMs() / 1000;
    const entries = apps ?? [...this.#apps.values()].map((a) => fakeAppStats(a, intervalS, this.#random));
    return this.#open().send("app_stats", { apps: entries });
  }

  sendRuntimeLog(
    lines: { app_id: number; line: string; stream?: "stdout" | "stderr"; ts?: number }[],
  ): number {
    const ts = this.#now();
    const full = lines.map((l) => ({
      app_id: l.app_id,
      ts: l.ts ?? ts,
      stream: l.stream ?? "stdout",
      line: l.line,
    }));
    return this.#open().send("runtime_log", { lines: full });
  }

  sendBuildLog(jobId: number, logs: string): number {
    return this.#open().send("build_log", { job_id: jobId, logs });
  }

  sendAppStatus(payload: PayloadInput<WorkerMessageSchemas, "app_status">): number {
    return this.#open().send("app_status", payload);
  }

  sendViolation(appId: number, reason: string): number {
    return this.#open().send("violation", { app_id: appId, reason });
  }

  async #start(): Promise<void> {
    const o = this.#opts;
    if (!this.#tokens.current) {
      const res = await registerWorker({
        baseUrl: o.baseUrl,
        bearer: o.bearer,
        request: registrationRequest(o, this.apiKey),
        ...(o.fetch ? { fetch: o.fetch } : {}),
      });
      this.#worker = res.worker;
      this.#tokens.set({ token: res.token, token_expires_at: res.token_expires_at });
    } else if (this.#tokens.dueInMs() === 0) {
      await this.#tokens.refresh();
    }
    const conn = await WorkerConnection.connect({
      baseUrl: o.baseUrl,
      token: this.#tokens.current!.token,
      apiKey: this.apiKey,
      ...(o.now ? { now: o.now } : {}),
      ...(o.connectTimeoutMs ? { timeoutMs: o.connectTimeoutMs } : {}),
    });
    this.#conn = conn;
    this.#startedAt = this.#now();
    conn.on("message", (msg) => {
      if (msg.type === "job") this.#jobs = this.#jobs.then(() => this.#runJob(conn, msg));
    });
    conn.on("close", (info) => {
      if (this.#conn !== conn) return; // stop() closed it
      for (const loop of this.#loops) void loop.stop();
      this.emit("disconnected", info);
    });
    const hello = conn.helloPayload;
    this.#loops = [
      this.#loop("heartbeat", o.heartbeatIntervalMs ?? hello.heartbeat_interval_s * 1000, true, () =>
        this.sendHeartbeat(),
      ),
      this.#loop("stats", this.#statsIntervalMs(), false, () =>
        this.#apps.size ? this.sendAppStats() : null,
      ),
    ];
    await Promise.all(this.#loops.map((loop) => loop.start()));
    this.#tokens.start();
  }

  /** A job is answered on the connection it came on; if that closed meanwhile, it is abandoned. */
  async #runJob(conn: WorkerConnection, msg: InboundMessageOf<"job">): Promise<void> {
    const job = msg.payload;
    if (this.#conn !== conn) return;
    try {
      conn.send("job_status", { job_id: job.job_id, status: "processing" }, msg.env.seq);
      const outcome = (await this.#opts.jobBehaviour?.(job)) ?? { success: true };
      if (outcome.delayMs) await this.#timers.sleep(outcome.delayMs);
      if (this.#conn !== conn || !conn.isOpen) return;
      conn.send("job_result", finishJob(this.#apps, job, outcome), msg.env.seq);
      this.emit("jobDone", job, outcome);
    } catch (err) {
      if (!(err instanceof ConnectionClosedError))
        this.#log.error({ err, job_id: job.job_id }, "sim job failed");
    }
  }

  #loop(
    what: string,
    intervalMs: number,
    runImmediately: boolean,
    send: () => number | null,
  ): Loop<number | null> {
    return new Loop({
      name: `${this.name}:${what}`,
      intervalMs,
      runImmediately,
      log: this.#log,
      tick: () => new Promise((resolve) => resolve(send())),
      setTimer: this.#timers.set,
      clearTimer: this.#timers.clear,
    });
  }

  #statsIntervalMs(): number {
    return this.#opts.statsIntervalMs ?? (this.#conn?.helloPayload.stats_interval_s ?? 10) * 1000;
  }

  #open(): WorkerConnection {
    if (!this.#conn) throw new ConnectionClosedError("the simulated worker is not connected");
    return this.#conn;
  }
}
