import type { Service } from "./lifecycle.js";

export interface LoopLogger {
  error(obj: object, msg: string): void;
}

export interface LoopOptions<T> {
  name: string;
  /** Milliseconds between the end of one tick and the start of the next. */
  intervalMs: number;
  /** One tick of work. Returns what it did, so tests can call it directly. */
  tick: () => Promise<T>;
  log: LoopLogger;
  /** Run the first tick right after start() instead of one interval later. */
  runImmediately?: boolean;
  setTimer?: (fn: () => void, ms: number) => NodeJS.Timeout;
  clearTimer?: (t: NodeJS.Timeout) => void;
}

/**
 * The one loop shape (DESIGN.md 4.3): a setTimeout chain, so ticks never
 * overlap; a failing tick is logged with the loop's name and the loop goes on;
 * stop() cancels the next tick and waits for the one in flight.
 */
export class Loop<T> implements Service {
  readonly name: string;
  private readonly opts: LoopOptions<T>;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<unknown> | undefined;
  private running = false;

  constructor(opts: LoopOptions<T>) {
    this.name = opts.name;
    this.opts = opts;
  }

  /** Runs one tick now. Errors propagate to the caller (tests use this). */
  runOnce(): Promise<T> {
    return this.opts.tick();
  }

  start(): Promise<void> {
    if (this.running) return Promise.resolve();
    this.running = true;
    this.schedule(this.opts.runImmediately ? 0 : this.opts.intervalMs);
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) (this.opts.clearTimer ?? clearTimeout)(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  private schedule(ms: number): void {
    const set = this.opts.setTimer ?? setTimeout;
    this.timer = set(() => {
      this.timer = undefined;
      this.inFlight = this.opts
        .tick()
        .catch((err: unknown) => this.opts.log.error({ loop: this.name, err }, "loop tick failed"))
        .finally(() => {
          this.inFlight = undefined;
          if (this.running) this.schedule(this.opts.intervalMs);
        });
    }, ms);
    this.timer.unref?.();
  }
}
