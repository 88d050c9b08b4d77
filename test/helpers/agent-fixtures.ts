import { EventEmitter } from "node:events";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Agent, type AgentOptions } from "../../src/agent/agent.js";
import { FakeRuntime } from "../../src/agent/runtime/fake-runtime.js";
import { RestartPolicy } from "../../src/agent/runtime/restart-policy.js";
import type { PlatformEvent } from "../../src/events/publisher.js";
import { RecordingPublisher } from "../../src/events/publisher.js";
import { TEST_SECRET, type TestControlPlane } from "./control-plane.js";
import { unique } from "./db-fixtures.js";

const quiet = { info: () => undefined, error: () => undefined };

/** Resolves with the args of the first `event` on `emitter` matching `pred`; rejects after `timeoutMs`. */
export function nextEvent<A extends unknown[]>(
  emitter: EventEmitter,
  event: string,
  pred: (...args: A) => boolean = () => true,
  timeoutMs = 20_000,
): Promise<A> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, on);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (...args: unknown[]): void => {
      if (!pred(...(args as A))) return;
      clearTimeout(timer);
      emitter.off(event, on);
      resolve(args as A);
    };
    emitter.on(event, on);
  });
}

/** A publisher tests can wait on. */
export class WaitablePublisher extends RecordingPublisher {
  readonly emitter = new EventEmitter();
  override publish(event: PlatformEvent): void {
    super.publish(event);
    this.emitter.emit("event", event);
  }
  waitFor(pred: (e: PlatformEvent) => boolean, timeoutMs?: number): Promise<PlatformEvent> {
    const seen = this.events.find(pred);
    if (seen) return Promise.resolve(seen);
    return nextEvent<[PlatformEvent]>(this.emitter, "event", pred, timeoutMs).then(([e]) => e);
  }
}

/** Emits `handled` (type) after the hub handled each worker message: pass `hub: { onHandled }` to the control plane. */
export function handledTracker(): { emitter: EventEmitter; onHandled: (type: string) => void } {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return { emitter, onHandled: (type) => emitter.emit("handled", type) };
}

export interface TestAgent {
  agent: Agent;
  runtime: FakeRuntime;
  dataDir: string;
}

/**
 * An Agent against the control plane on a FakeRuntime, with fast loops, a
 * port probe that asks the fake whether the container answers, and a restart
 * policy with millisecond delays. Not started.
 */
export async function makeTestAgent(
  cp: TestControlPlane,
  extra: Partial<AgentOptions> & { runtime?: FakeRuntime; dataDir?: string } = {},
): Promise<TestAgent> {
  const runtime = extra.runtime ?? new FakeRuntime();
  const dataDir = extra.dataDir ?? (await mkdtemp(path.join(tmpdir(), "wh-agent-")));
  const agent = new Agent({
    serverUrl: cp.url,
    dataDir,
    name: unique("agent"),
    bearer: TEST_SECRET,
    cpuMillicores: 4000,
    memoryMb: 8192,
    log: quiet,
    probe: (_host, port) => Promise.resolve(runtime.answers(port)),
    portTimeoutMs: 2_000,
    settleMs: 20,
    restartPolicy: new RestartPolicy({ minDelayMs: 1, maxDelayMs: 5 }),
    backoff: { baseMs: 20, capMs: 200 },
    ...extra,
    runtime,
  });
  return { agent, runtime, dataDir };
}
