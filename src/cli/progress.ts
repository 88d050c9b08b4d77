import type { Writable } from "./context.js";
import { stripANSI } from "../api/log-sanitize.js";

/**
 * Progress on stderr (stdout stays clean for what scripts read). On a TTY a
 * bar or spinner redraws one line with CR and is erased when done; anywhere
 * else plain lines are printed, few of them: an upload reports every 10 %
 * and at the end, a wait reports each change of its message.
 */

const MB = 1024 * 1024;
const REDRAW_MS = 100;
const SPINNER_FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export function mb(bytes: number): string {
  return (bytes / MB).toFixed(1);
}

/** The bar line for `done` of `total` bytes, `width` cells wide. Pure, for tests. */
export function barLine(done: number, total: number, width = 30): string {
  const frac = total > 0 ? Math.min(1, done / total) : 1;
  const full = Math.round(frac * width);
  const pct = String(Math.floor(frac * 100)).padStart(3);
  return `[${"#".repeat(full)}${"-".repeat(width - full)}] ${pct}% ${mb(done)}/${mb(total)} MB`;
}

export class ProgressBar {
  #done = 0;
  #lastDraw = 0;
  #lastTenth = 0;
  #finished = false;

  constructor(
    private readonly out: Writable,
    private readonly total: number,
    private readonly label = "uploading",
    private readonly now: () => number = Date.now,
  ) {}

  /** Adds `n` bytes; redraws at most every 100 ms on a TTY, prints a line per 10 % otherwise. */
  advance(n: number): void {
    this.#done += n;
    if (this.out.isTTY) {
      const t = this.now();
      if (t - this.#lastDraw < REDRAW_MS) return;
      this.#lastDraw = t;
      this.out.write(`\r${this.label} ${barLine(this.#done, this.total)}`);
      return;
    }
    const tenth = this.total > 0 ? Math.floor((this.#done / this.total) * 10) : 10;
    if (tenth > this.#lastTenth && tenth < 10) {
      this.#lastTenth = tenth;
      this.out.write(`uploaded ${mb(this.#done)} MB of ${mb(this.total)} MB\n`);
    }
  }

  /** Final state: the full bar (TTY) or one "uploaded N MB" line. Idempotent. */
  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.out.isTTY) this.out.write(`\r${this.label} ${barLine(this.#done, this.total)}\n`);
    else this.out.write(`uploaded ${mb(this.#done)} MB\n`);
  }
}

/**
 * A ReadableStream of `source` that reports each chunk's size to `onBytes`
 * as it is pulled (so progress follows what the network takes, not what the
 * disk reads ahead).
 */
export function countingStream(
  source: ReadableStream<Uint8Array>,
  onBytes: (n: number) => void,
): ReadableStream<Uint8Array> {
  return source.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        onBytes(chunk.byteLength);
        controller.enqueue(chunk);
      },
    }),
  );
}

export class Spinner {
  #text = "";
  #frame = 0;
  #timer: NodeJS.Timeout | undefined;
  #printed = "";

  constructor(private readonly out: Writable) {}

  /** Shows `text` (sanitised); starts spinning on a TTY, prints it once per change elsewhere. */
  update(text: string): void {
    this.#text = stripANSI(text);
    if (!this.out.isTTY) {
      if (this.#text !== this.#printed) this.out.write(`${this.#text}\n`);
      this.#printed = this.#text;
      return;
    }
    if (!this.#timer) this.#tick();
  }

  #tick(): void {
    this.out.write(`\r\x1b[2K${SPINNER_FRAMES[this.#frame % SPINNER_FRAMES.length]} ${this.#text}`);
    this.#frame++;
    // A setTimeout chain, unref'd: a spinner never keeps the process alive.
    this.#timer = setTimeout(() => this.#tick(), REDRAW_MS);
    this.#timer.unref();
  }

  /** Stops and erases the spinner line (TTY). Safe to call more than once. */
  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#timer && this.out.isTTY) this.out.write("\r\x1b[2K");
    this.#timer = undefined;
  }
}
