import { capLine } from "../api/log-sanitize.js";
import type { TokenBucket } from "../api/token-bucket.js";
import type { Service } from "../lifecycle.js";
import type { RuntimeLogLine } from "../protocol/messages-worker.js";
import { MAX_LOG_LINE_BYTES } from "../protocol/messages-worker.js";
import type { ContainerRegistry, ManagedContainer } from "./registry.js";
import type { ContainerRuntime, Subscription } from "./runtime/runtime.js";
import type { ClearTimer, Send, SetTimer } from "./send.js";

export interface LogShipperOptions {
  runtime: ContainerRuntime;
  registry: ContainerRegistry;
  send: Send;
  /** Shared with build logs (see `logBudget`). */
  budget: TokenBucket;
  now?: () => number;
  /** Flush at least this often while lines wait; defaults to 500 ms. */
  flushMs?: number;
  /** Flush at once when this many lines wait; defaults to 1000. */
  flushLines?: number;
  /** Most lines in one `runtime_log`; defaults to 5000 (the protocol's cap). */
  maxLinesPerMessage?: number;
  setTimer?: SetTimer;
  clearTimer?: ClearTimer;
}

/** JSON overhead charged per line on top of its text: `{"app_id":…,"ts":…,"stream":"stdout","line":""}`. */
const LINE_OVERHEAD_BYTES = 80;
/** Lines held while disconnected or throttled; older ones are dropped (and counted) beyond this. */
const MAX_PENDING_LINES = 20_000;

/**
 * Follows the output of every managed container (from its `logsSinceMs`, or
 * from the moment it is added, so an adopted container's past is not resent) and
 * ships it as `runtime_log` batches.
 *
 * Contract: a batch goes out when 1000 lines wait or 500 ms after the first
 * waiting line; a message carries at most 5000 lines, each cut to 8 KiB.
 * Every line is charged to the log budget before it is sent; a line the
 * budget cannot pay for is dropped and counted, and once the budget allows,
 * the app gets one notice line saying how many were dropped. Lines are never
 * sent beyond the budget, so the server never has to refuse them.
 */
export class LogShipper implements Service {
  readonly name = "agent-log-shipper";
  readonly #o: LogShipperOptions;
  readonly #now: () => number;
  readonly #followers = new Map<string, Subscription>();
  #pending: RuntimeLogLine[] = [];
  readonly #dropped = new Map<number, number>();
  /** The last line's time per container, so a follow resumed after a restart repeats nothing. */
  readonly #lastTs = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  readonly #onAdded = (c: ManagedContainer): void => this.#follow(c);
  readonly #onRemoved = (c: ManagedContainer): void => {
    this.#unfollow(c.id);
    this.#lastTs.delete(c.id);
  };

  constructor(options: LogShipperOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  start(): Promise<void> {
    if (this.#running) return Promise.resolve();
    this.#running = true;
    this.#o.registry.on("added", this.#onAdded);
    this.#o.registry.on("removed", this.#onRemoved);
    for (const c of this.#o.registry.all()) this.#follow(c);
    return Promise.resolve();
  }

  /** Stops following and sends what is waiting (if connected). */
  stop(): Promise<void> {
    if (!this.#running) return Promise.resolve();
    this.#running = false;
    this.#o.registry.off("added", this.#onAdded);
    this.#o.registry.off("removed", this.#onRemoved);
    for (const id of [...this.#followers.keys()]) this.#unfollow(id);
    this.flush();
    if (this.#timer) (this.#o.clearTimer ?? clearTimeout)(this.#timer);
    this.#timer = undefined;
    return Promise.resolve();
  }

  /** Queues one line for an app (followers call this; tests may too). */
  push(appId: number, line: RuntimeLogLine["line"], stream: RuntimeLogLine["stream"], ts: number): void {
    if (this.#pending.length >= MAX_PENDING_LINES) {
      const old = this.#pending.shift();
      if (old) this.#countDrop(old.app_id);
    }
    this.#pending.push({ app_id: appId, ts, stream, line: capLine(line, MAX_LOG_LINE_BYTES) });
    if (this.#pending.length >= (this.#o.flushLines ?? 1000)) this.flush();
    else this.#schedule();
  }

  /**
   * Sends what is waiting, within the budget; returns the number of lines
   * sent. Lines stay queued while the agent is not connected.
   */
  flush(): number {
    if (this.#timer) (this.#o.clearTimer ?? clearTimeout)(this.#timer);
    this.#timer = undefined;
    const max = this.#o.maxLinesPerMessage ?? 5000;
    let sent = 0;
    while (this.#pending.length > 0 || this.#dropped.size > 0) {
      const batch = this.#notices();
      while (batch.length < max && this.#pending.length > 0) {
        const line = this.#pending.shift() as RuntimeLogLine;
        if (this.#o.budget.take(Buffer.byteLength(line.line, "utf8") + LINE_OVERHEAD_BYTES)) batch.push(line);
        else this.#countDrop(line.app_id);
      }
      if (batch.length === 0) break;
      if (!this.#o.send("runtime_log", { lines: batch })) {
        // Not connected: keep the lines for the next connection (the bucket was charged; fine).
        this.#pending.unshift(...batch.filter((l) => !l.line.startsWith(NOTICE_PREFIX)));
        this.#schedule();
        break;
      }
      sent += batch.length;
    }
    return sent;
  }

  /** One notice line per app whose lines were dropped, if the budget pays for it. */
  #notices(): RuntimeLogLine[] {
    const out: RuntimeLogLine[] = [];
    for (const [appId, n] of this.#dropped) {
      const line = `${NOTICE_PREFIX} ${n} log line${n === 1 ? "" : "s"} dropped: over the 256 KiB/s log rate`;
      if (!this.#o.budget.take(Buffer.byteLength(line) + LINE_OVERHEAD_BYTES)) break;
      out.push({ app_id: appId, ts: this.#now(), stream: "stderr", line });
      this.#dropped.delete(appId);
    }
    return out;
  }

  #countDrop(appId: number): void {
    this.#dropped.set(appId, (this.#dropped.get(appId) ?? 0) + 1);
  }

  #schedule(): void {
    if (this.#timer || !this.#running) return;
    this.#timer = (this.#o.setTimer ?? setTimeout)(() => {
      this.#timer = undefined;
      this.flush();
    }, this.#o.flushMs ?? 500);
    this.#timer.unref?.();
  }

  /** Follows a managed container again after it restarted, from just after its last line. */
  resume(id: string): void {
    const c = this.#o.registry.get(id);
    if (c && this.#running) this.#follow(c);
  }

  /** A follow ends when the container stops; `resume` picks it up after a restart. */
  #follow(c: ManagedContainer): void {
    if (this.#followers.has(c.id)) return;
    const last = this.#lastTs.get(c.id);
    const since = last !== undefined ? last + 1 : (c.logsSinceMs ?? this.#now());
    const sub = this.#o.runtime.followLogs(
      c.id,
      since,
      (l) => {
        this.#lastTs.set(c.id, l.ts);
        this.push(c.appId, l.line, l.stream, l.ts);
      },
      () => {
        if (this.#followers.get(c.id) === sub) this.#followers.delete(c.id);
      },
    );
    this.#followers.set(c.id, sub);
  }

  #unfollow(id: string): void {
    this.#followers.get(id)?.stop();
    this.#followers.delete(id);
  }
}

/** How the shipper's own notices start, so they are told apart from the app's output. */
export const NOTICE_PREFIX = "[wisehosting]";
