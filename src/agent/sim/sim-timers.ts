export type SetTimer = (fn: () => void, ms: number) => NodeJS.Timeout;
export type ClearTimer = (t: NodeJS.Timeout) => void;

/** setTimeout's largest delay; anything longer fires at once, so delays are capped here. */
export const MAX_DELAY_MS = 2_147_483_647;

/**
 * Timers of a simulated worker on an injectable clock. `set` caps the delay
 * at what setTimeout can hold. `clearAll` ends every pending `sleep` at once
 * (it resolves, so work awaiting it can finish and see that it was stopped
 * instead of hanging).
 */
export class SimTimers {
  readonly set: SetTimer;
  readonly clear: ClearTimer;
  readonly #sleeps = new Map<NodeJS.Timeout, () => void>();

  constructor(set: SetTimer = setTimeout, clear: ClearTimer = clearTimeout) {
    this.set = (fn, ms) => set(fn, Math.min(Math.max(0, ms), MAX_DELAY_MS));
    this.clear = clear;
  }

  /** Resolves after `ms`, or as soon as `clearAll` runs. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.set(() => {
        this.#sleeps.delete(timer);
        resolve();
      }, ms);
      this.#sleeps.set(timer, resolve);
    });
  }

  clearAll(): void {
    for (const [timer, resolve] of this.#sleeps) {
      this.clear(timer);
      resolve();
    }
    this.#sleeps.clear();
  }
}
