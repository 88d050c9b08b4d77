import { EventEmitter } from "node:events";

import type { Service } from "../lifecycle.js";
import type { LoopLogger } from "../loop.js";
import type { JobPayload } from "../protocol/messages-server.js";
import type { JobResultPayload } from "../protocol/messages-worker.js";
import type { JobHandlerDeps, JobOutput } from "./job-handlers.js";
import { JobFailure, runDelete, runDeploy, runRestart, runStop } from "./job-handlers.js";
import { RuntimeError } from "./runtime/runtime.js";

export type JobRunnerOptions = Omit<JobHandlerDeps, "cancelled"> & { log: LoopLogger };

export interface JobRunnerEvents {
  /** A job finished (its `job_result` was sent, or is kept until the agent reconnects). */
  done: [JobPayload, JobResultPayload];
}

/** Results remembered for jobs the server sends again (a lost result, a reconnect). */
const REMEMBERED_RESULTS = 200;
/** A `job_result` error is cut to this many characters. */
const MAX_ERROR_CHARS = 8 * 1024;

/**
 * Runs jobs one at a time, in arrival order (protocol §4). For each job it
 * sends `job_status` processing first and exactly one `job_result` at the
 * end. A result that could not be sent (no connection) is kept and sent by
 * `resendUnsent` after the next connect; a job the server sends again after
 * its result exists is answered with that result, not run twice; a job that
 * is queued or running is not queued again. A job cut short by `stop` sends
 * nothing: the server still has it assigned and sends it again.
 */
export class JobRunner extends EventEmitter<JobRunnerEvents> implements Service {
  readonly name = "agent-job-runner";
  readonly #o: JobRunnerOptions;
  readonly #known = new Set<number>();
  readonly #results = new Map<number, JobResultPayload>();
  readonly #unsent = new Map<number, JobResultPayload>();
  #chain: Promise<void> = Promise.resolve();
  #stopping = false;

  constructor(options: JobRunnerOptions) {
    super();
    this.#o = options;
  }

  start(): Promise<void> {
    this.#stopping = false;
    return Promise.resolve();
  }

  /** Lets the job in flight reach a stopping point; queued jobs are dropped. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#chain;
  }

  /** Queues a job from the server (see the class contract for repeats). */
  enqueue(job: JobPayload): void {
    const result = this.#results.get(job.job_id);
    if (result) {
      this.#sendResult(result);
      return;
    }
    if (this.#known.has(job.job_id)) return;
    this.#known.add(job.job_id);
    this.#chain = this.#chain.then(() => this.#run(job));
  }

  /** Sends the results that found no connection; the agent calls this after each connect. */
  resendUnsent(): void {
    for (const result of [...this.#unsent.values()]) this.#sendResult(result);
  }

  /** Resolves once every queued job has finished (tests). */
  idle(): Promise<void> {
    return this.#chain;
  }

  async #run(job: JobPayload): Promise<void> {
    if (this.#stopping) {
      this.#known.delete(job.job_id);
      return;
    }
    this.#o.send("job_status", { job_id: job.job_id, status: "processing" });
    let result: JobResultPayload;
    try {
      const out = await this.#handle(job);
      result = {
        job_id: job.job_id,
        success: true,
        error: null,
        logs: out.logs,
        container_id: out.containerId,
      };
    } catch (err) {
      if (!(err instanceof JobFailure || err instanceof RuntimeError)) {
        this.#o.log.error({ err, job_id: job.job_id, type: job.type }, "job failed unexpectedly");
      }
      const message = err instanceof Error ? err.message : String(err);
      result = {
        job_id: job.job_id,
        success: false,
        error: message.slice(0, MAX_ERROR_CHARS),
        logs: "",
        container_id: null,
      };
    }
    if (this.#stopping && !result.success) {
      // Cut short by stop: say nothing, the server will send the job again.
      this.#known.delete(job.job_id);
      return;
    }
    this.#remember(result);
    this.#sendResult(result);
    this.emit("done", job, result);
  }

  #handle(job: JobPayload): Promise<JobOutput> {
    const deps: JobHandlerDeps = { ...this.#o, cancelled: () => this.#stopping };
    switch (job.type) {
      case "deploy":
        return runDeploy(deps, job);
      case "restart":
        return runRestart(deps, job);
      case "stop":
        return runStop(deps, job);
      case "delete":
        return runDelete(deps, job);
    }
  }

  #sendResult(result: JobResultPayload): void {
    if (this.#o.send("job_result", result)) this.#unsent.delete(result.job_id);
    else this.#unsent.set(result.job_id, result);
  }

  #remember(result: JobResultPayload): void {
    this.#results.set(result.job_id, result);
    if (this.#results.size > REMEMBERED_RESULTS) {
      const oldest = this.#results.keys().next().value;
      if (oldest !== undefined) this.#results.delete(oldest);
    }
  }
}
