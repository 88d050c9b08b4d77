import type { LogBus, LogLine } from "./log-bus.js";

/** Lines kept per app for `tail` by default. */
export const LOG_RING_CAPACITY = 1000;

export interface MemoryLogBusOptions {
  /** Lines kept per app; default {@link LOG_RING_CAPACITY}. */
  capacity?: number;
  /** Told about each exception a subscriber throws; by default they are dropped. */
  onSubscriberError?: (err: unknown, line: LogLine) => void;
}

interface Subscription {
  fn: (line: LogLine) => void;
}

/** The last `capacity` lines of one app; storage grows to `capacity` and then wraps. */
class Ring {
  readonly #capacity: number;
  #lines: LogLine[] = [];
  /** Index of the oldest line once the ring is full. */
  #start = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#lines.length;
  }

  push(line: LogLine): void {
    if (this.#lines.length < this.#capacity) {
      this.#lines.push(line);
    } else {
      this.#lines[this.#start] = line;
      this.#start = (this.#start + 1) % this.#capacity;
    }
  }

  /** The last `n` lines, oldest first. */
  last(n: number): LogLine[] {
    const size = this.#lines.length;
    const count = Math.min(n, size);
    const out: LogLine[] = [];
    for (let k = size - count; k < size; k++) out.push(this.#lines[(this.#start + k) % size]!);
    return out;
  }
}

interface AppLog {
  ring: Ring | undefined;
  subs: Set<Subscription>;
}

/**
 * The single-process {@link LogBus}: a ring of the last `capacity` lines per
 * app and synchronous fan-out.
 *
 * Beyond the LogBus contract:
 * - subscribers are called synchronously inside `publish`, line by line, in
 *   subscription order; one removed during delivery gets no further lines,
 *   one added during delivery may already get the line being delivered;
 * - each line is copied to a frozen `{appId, ts, stream, line}` when
 *   published, and that one object is what subscribers and `tail` see;
 * - memory: an app is held only while it has lines or subscribers, so
 *   subscribe/unsubscribe churn leaves nothing behind; `dropApp` frees the
 *   lines (e.g. when the app is deleted).
 */
export class MemoryLogBus implements LogBus {
  readonly #capacity: number;
  readonly #onSubscriberError: ((err: unknown, line: LogLine) => void) | undefined;
  readonly #apps = new Map<number, AppLog>();

  constructor(options: MemoryLogBusOptions = {}) {
    const capacity = options.capacity ?? LOG_RING_CAPACITY;
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be an integer ≥ 1, got ${capacity}`);
    }
    this.#capacity = capacity;
    this.#onSubscriberError = options.onSubscriberError;
  }

  publish(lines: readonly LogLine[]): void {
    for (const input of lines) {
      const line: LogLine = Object.freeze({
        appId: input.appId,
        ts: input.ts,
        stream: input.stream,
        line: input.line,
      });
      const app = this.#appFor(line.appId);
      (app.ring ??= new Ring(this.#capacity)).push(line);
      for (const sub of app.subs) this.#deliver(sub, line);
    }
  }

  tail(appId: number, n: number): LogLine[] {
    const ring = this.#apps.get(appId)?.ring;
    if (!ring || !(n >= 1)) return [];
    return ring.last(Math.floor(n));
  }

  subscribe(appId: number, fn: (line: LogLine) => void): () => void {
    const sub: Subscription = { fn };
    this.#appFor(appId).subs.add(sub);
    return () => {
      // Look the app up again: dropApp may have replaced its entry meanwhile.
      const app = this.#apps.get(appId);
      if (app?.subs.delete(sub)) this.#releaseIfEmpty(appId, app);
    };
  }

  /** Frees the app's kept lines; its subscribers stay subscribed. Idempotent. */
  dropApp(appId: number): void {
    const app = this.#apps.get(appId);
    if (!app) return;
    app.ring = undefined;
    this.#releaseIfEmpty(appId, app);
  }

  /** Apps currently holding memory (lines or subscribers), for tests and metrics. */
  get appCount(): number {
    return this.#apps.size;
  }

  #appFor(appId: number): AppLog {
    let app = this.#apps.get(appId);
    if (!app) {
      app = { ring: undefined, subs: new Set() };
      this.#apps.set(appId, app);
    }
    return app;
  }

  #releaseIfEmpty(appId: number, app: AppLog): void {
    if (app.subs.size === 0 && (app.ring === undefined || app.ring.size === 0)) this.#apps.delete(appId);
  }

  #deliver(sub: Subscription, line: LogLine): void {
    try {
      sub.fn(line);
    } catch (err) {
      try {
        this.#onSubscriberError?.(err, line);
      } catch {
        // A failing error hook must not break the publisher either.
      }
    }
  }
}
