import { EventEmitter } from "node:events";

import type { Service } from "../lifecycle.js";
import { Loop } from "../loop.js";
import type { PayloadInput, WorkerMessageSchemas, WorkerMessageType } from "../protocol/messages.js";
import type { JobPayload } from "../protocol/messages-server.js";
import type { JobResultPayload } from "../protocol/messages-worker.js";
import { PACKAGE_VERSION } from "../version.js";
import type { AgentOptions } from "./agent-options.js";
import { defaultCapacity } from "./agent-options.js";
import { AppMonitor } from "./app-monitor.js";
import { backoffDelayMs } from "./backoff.js";
import { loadApiKey, saveApiKey } from "./identity.js";
import { JobRunner } from "./job-runner.js";
import { LogShipper } from "./log-shipper.js";
import { ContainerRegistry, managedFromInfo } from "./registry.js";
import { LABEL_MANAGED, type ContainerInfo } from "./runtime/runtime.js";
import type { Send } from "./send.js";
import { logBudget } from "./send.js";
import { WorkerHttpError } from "./sim/errors.js";
import type { HelloPayload } from "./sim/handshake.js";
import type { RegisteredWorker } from "./sim/http-client.js";
import { registerWorker } from "./sim/http-client.js";
import { SimTimers } from "./sim/sim-timers.js";
import { TokenKeeper } from "./sim/token-keeper.js";
import type { CloseInfo } from "./sim/worker-connection.js";
import { WorkerConnection } from "./sim/worker-connection.js";
import { AppStatsSampler, hostHeartbeat, osHostProbe } from "./stats.js";

export type { AgentOptions } from "./agent-options.js";

export interface AgentEvents {
  /** A connection is up and its `hello` verified. */
  connected: [HelloPayload];
  /** The connection closed while the agent was started; it reconnects on its own. */
  disconnected: [CloseInfo];
  jobDone: [JobPayload, JobResultPayload];
}

/**
 * The worker agent (protocol v1, worker side). `start` resolves once the
 * worker has an identity (first run: key generated, registered, key saved;
 * later runs: the saved key), the containers it already runs are adopted
 * (kept running, their logs and stats resume) and the connection loop has
 * begun. The loop keeps one WebSocket open, reconnecting after any close or
 * failure with jittered exponential backoff capped at 30 s; it gets a fresh
 * JWT from refresh-token whenever the held one is due or refused. While
 * connected it sends heartbeats and `app_stats` on setTimeout chains at the
 * intervals from `hello`. `stop` ends the loop, waits for the job in flight
 * and closes the socket; the apps keep running.
 */
export class Agent extends EventEmitter<AgentEvents> implements Service {
  readonly name = "agent";
  readonly registry = new ContainerRegistry();
  readonly #o: AgentOptions;
  readonly #now: () => number;
  readonly #timers: SimTimers;
  readonly #runner: JobRunner;
  readonly #monitor: AppMonitor;
  readonly #shipper: LogShipper;
  readonly #sampler: AppStatsSampler;
  #apiKey: string | undefined;
  #tokens: TokenKeeper | undefined;
  #tokenRefused = false;
  #worker: RegisteredWorker | undefined;
  #conn: WorkerConnection | undefined;
  #loop: Promise<void> | undefined;
  #running = false;
  #startedAt = 0;

  constructor(options: AgentOptions) {
    super();
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#timers = new SimTimers(options.timers?.set, options.timers?.clear);
    const budget = logBudget();
    const send: Send = (type, payload) => this.send(type, payload);
    const timerOpts = { setTimer: this.#timers.set, clearTimer: this.#timers.clear };
    this.#runner = new JobRunner({
      runtime: options.runtime,
      registry: this.registry,
      send,
      budget,
      serverUrl: options.serverUrl,
      dataDir: options.dataDir,
      hostIp: options.wireguardIp ?? "127.0.0.1",
      token: () => this.#tokens?.current?.token ?? "",
      now: this.#now,
      sleep: (ms) => this.#timers.sleep(ms),
      log: options.log,
      ...timerOpts,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.portTimeoutMs !== undefined ? { portTimeoutMs: options.portTimeoutMs } : {}),
      ...(options.probe ? { probe: options.probe } : {}),
    });
    this.#runner.on("done", (job, result) => this.emit("jobDone", job, result));
    this.#monitor = new AppMonitor({
      runtime: options.runtime,
      registry: this.registry,
      send,
      log: options.log,
      now: this.#now,
      ...timerOpts,
      onStarted: (id) => this.#shipper.resume(id),
      nearMemoryLimit: (id) => this.#sampler.nearMemoryLimit(id),
      ...(options.settleMs !== undefined ? { settleMs: options.settleMs } : {}),
      ...(options.restartPolicy ? { policy: options.restartPolicy } : {}),
    });
    this.#shipper = new LogShipper({
      runtime: options.runtime,
      registry: this.registry,
      send,
      budget,
      now: this.#now,
      ...timerOpts,
    });
    this.#sampler = new AppStatsSampler({
      runtime: options.runtime,
      registry: this.registry,
      now: this.#now,
    });
  }

  /** The worker as registered in this process (undefined on later runs, which do not register). */
  get worker(): RegisteredWorker | undefined {
    return this.#worker;
  }
  get connection(): WorkerConnection | undefined {
    return this.#conn;
  }
  get jobs(): JobRunner {
    return this.#runner;
  }
  /** The current JWT, if any (tests). */
  get token(): string | undefined {
    return this.#tokens?.current?.token;
  }

  /** Signs and sends on the current connection; false when not connected. */
  send<T extends WorkerMessageType>(type: T, payload: PayloadInput<WorkerMessageSchemas, T>): boolean {
    const conn = this.#conn;
    if (!conn?.isOpen) return false;
    try {
      conn.send(type, payload);
      return true;
    } catch {
      return false;
    }
  }

  async start(): Promise<void> {
    if (this.#running) return;
    await this.#ensureIdentity();
    this.#running = true;
    this.#startedAt = this.#now();
    const exited = await this.#adopt();
    await this.#monitor.start();
    // Containers that died while no agent watched get the restart policy now, as if the death just happened.
    for (const info of exited) {
      this.#monitor.handle({
        id: info.id,
        kind: "died",
        labels: info.labels,
        exitCode: info.exitCode,
        at: new Date(this.#now()),
      });
    }
    await this.#shipper.start();
    await this.#runner.start();
    this.#tokens?.start();
    this.#loop = this.#connectLoop();
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#tokens?.stop();
    this.#timers.clearAll();
    await this.#runner.stop();
    await this.#monitor.stop();
    await this.#shipper.stop();
    await this.#conn?.close(1000, "agent stopping");
    await this.#loop;
  }

  /** First run: generate, register, save. Later runs: the saved key (a token is fetched on connect). */
  async #ensureIdentity(): Promise<void> {
    if (this.#apiKey) return;
    const o = this.#o;
    const stored = await loadApiKey(o.dataDir);
    if (stored.created) {
      if (!o.bearer) {
        throw new Error("first run: a join token or the master secret is needed to register this worker");
      }
      const capacity = defaultCapacity();
      const res = await registerWorker({
        baseUrl: o.serverUrl,
        bearer: o.bearer,
        request: {
          name: o.name,
          api_key: stored.apiKey,
          cpu_millicores: o.cpuMillicores ?? capacity.cpuMillicores,
          memory_mb: o.memoryMb ?? capacity.memoryMb,
          agent_version: o.agentVersion ?? PACKAGE_VERSION,
          ...(o.zone ? { zone: o.zone } : {}),
          ...(o.wireguardIp ? { wireguard_ip: o.wireguardIp } : {}),
          ...(o.publicIp ? { public_ip: o.publicIp } : {}),
        },
        ...(o.fetch ? { fetch: o.fetch } : {}),
      });
      await saveApiKey(o.dataDir, stored.apiKey);
      this.#worker = res.worker;
      this.#apiKey = stored.apiKey;
      this.#makeTokenKeeper().set({ token: res.token, token_expires_at: res.token_expires_at });
      o.log.info({ worker_id: res.worker.id, name: res.worker.name }, "worker registered");
      return;
    }
    this.#apiKey = stored.apiKey;
    this.#makeTokenKeeper();
  }

  #makeTokenKeeper(): TokenKeeper {
    this.#tokens = new TokenKeeper({
      baseUrl: this.#o.serverUrl,
      apiKey: this.#apiKey as string,
      now: this.#now,
      setTimer: this.#timers.set,
      clearTimer: this.#timers.clear,
      log: this.#o.log,
      ...(this.#o.refreshLeadMs !== undefined ? { refreshLeadMs: this.#o.refreshLeadMs } : {}),
      ...(this.#o.fetch ? { fetch: this.#o.fetch } : {}),
    });
    return this.#tokens;
  }

  /**
   * Keeps the containers this worker already has: registered, running ones
   * not restarted. Returns the adopted ones that are not running (they died
   * while the agent was away; the caller hands them to the restart policy).
   */
  async #adopt(): Promise<ContainerInfo[]> {
    const found = await this.#o.runtime.list({ [LABEL_MANAGED]: "true" });
    const down: ContainerInfo[] = [];
    for (const info of found) {
      const managed = managedFromInfo(info);
      if (!managed) continue;
      this.registry.add({ ...managed, logsSinceMs: this.#startedAt });
      if (info.state === "exited" || info.state === "stopped") down.push(info);
    }
    if (found.length > 0) {
      this.#o.log.info({ containers: found.length, down: down.length }, "adopted existing containers");
    }
    return down;
  }

  async #connectLoop(): Promise<void> {
    let attempt = 0;
    while (this.#running) {
      try {
        const token = await this.#freshToken();
        const conn = await WorkerConnection.connect({
          baseUrl: this.#o.serverUrl,
          token,
          apiKey: this.#apiKey as string,
          now: this.#now,
          ...(this.#o.connectTimeoutMs ? { timeoutMs: this.#o.connectTimeoutMs } : {}),
        });
        attempt = 0;
        await this.#serve(conn);
      } catch (err) {
        if (err instanceof WorkerHttpError && err.status === 401) this.#tokenRefused = true;
        if (this.#running) this.#o.log.error({ err, attempt }, "worker connection failed");
      }
      if (!this.#running) break;
      await this.#timers.sleep(backoffDelayMs(attempt++, { random: this.#o.random, ...this.#o.backoff }));
    }
  }

  /** The held JWT, or a new one from refresh-token when it is due, missing or was refused. */
  async #freshToken(): Promise<string> {
    const keeper = this.#tokens as TokenKeeper;
    if (!keeper.current || this.#tokenRefused || keeper.dueInMs() === 0) {
      await keeper.refresh();
      this.#tokenRefused = false;
    }
    return (keeper.current as { token: string }).token;
  }

  /** Runs one connection until it closes. */
  async #serve(conn: WorkerConnection): Promise<void> {
    if (!this.#running) {
      await conn.close(1000, "agent stopping");
      return;
    }
    this.#conn = conn;
    conn.on("message", (msg) => {
      if (msg.type === "job") this.#runner.enqueue(msg.payload);
      else if (msg.type === "error")
        this.#o.log.error({ error: msg.payload }, "control plane reported an error");
    });
    const hello = conn.helloPayload;
    const loops = [
      this.#tick(
        "heartbeat",
        this.#o.heartbeatIntervalMs ?? hello.heartbeat_interval_s * 1000,
        true,
        async () => {
          const payload = await hostHeartbeat({
            probe: this.#o.host ?? osHostProbe,
            dataDir: this.#o.dataDir,
            runningApps: this.registry.appIds().size,
            agentVersion: this.#o.agentVersion ?? PACKAGE_VERSION,
            uptimeS: (this.#now() - this.#startedAt) / 1000,
          });
          return this.send("heartbeat", payload);
        },
      ),
      this.#tick("app-stats", this.#o.statsIntervalMs ?? hello.stats_interval_s * 1000, false, async () => {
        const apps = await this.#sampler.sample();
        return apps.length > 0 && this.send("app_stats", { apps });
      }),
    ];
    await Promise.all(loops.map((l) => l.start()));
    this.emit("connected", hello);
    this.#runner.resendUnsent();
    this.#shipper.flush();
    const info = await conn.closed;
    await Promise.all(loops.map((l) => l.stop()));
    if (this.#conn === conn) this.#conn = undefined;
    if (this.#running) {
      this.#o.log.info({ code: info.code, reason: info.reason }, "worker connection closed, reconnecting");
      this.emit("disconnected", info);
    }
  }

  #tick(what: string, intervalMs: number, immediately: boolean, tick: () => Promise<boolean>): Loop<boolean> {
    return new Loop({
      name: `agent:${what}`,
      intervalMs,
      runImmediately: immediately,
      log: this.#o.log,
      tick,
      setTimer: this.#timers.set,
      clearTimer: this.#timers.clear,
    });
  }
}
