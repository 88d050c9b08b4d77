import type { TokenBucket } from "../api/token-bucket.js";
import type { ClearTimer, Send, SetTimer } from "./send.js";

export interface BuildLogStreamOptions {
  jobId: number;
  send: Send;
  budget: TokenBucket;
  /** Send what has collected this often while the build runs; defaults to 500 ms. */
  flushMs?: number;
  /** Most bytes of one `build_log` message; defaults to 256 KiB. */
  maxMessageBytes?: number;
  setTimer?: SetTimer;
  clearTimer?: ClearTimer;
}

/** Bytes charged per message on top of its text: the JSON around it. */
const MESSAGE_OVERHEAD_BYTES = 40;
/** Lines of output kept for the job's error when the build fails. */
const TAIL_LINES = 30;

/**
 * Streams one build's output as `build_log` messages while it runs: output
 * collects and goes out every `flushMs`, and once more on `close`. A chunk the
 * log budget cannot pay for is not sent; the next message says how many
 * bytes were left out. The last lines are kept for the job's error message
 * whatever was sent.
 */
export class BuildLogStream {
  readonly #o: BuildLogStreamOptions;
  #buffer = "";
  #skippedBytes = 0;
  #tail: string[] = [];
  #partial = "";
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: BuildLogStreamOptions) {
    this.#o = options;
  }

  /** The build's last output lines. */
  get tail(): string {
    return [...this.#tail, this.#partial].filter((l) => l !== "").join("\n");
  }

  write(text: string): void {
    if (this.#closed || text === "") return;
    this.#remember(text);
    this.#buffer += text;
    const max = this.#o.maxMessageBytes ?? 256 * 1024;
    if (this.#buffer.length >= max) this.flush();
    else if (!this.#timer) {
      this.#timer = (this.#o.setTimer ?? setTimeout)(() => {
        this.#timer = undefined;
        this.flush();
      }, this.#o.flushMs ?? 500);
      this.#timer.unref?.();
    }
  }

  /** Sends what has collected, if the budget allows; returns whether a message went out. */
  flush(): boolean {
    if (this.#timer) (this.#o.clearTimer ?? clearTimeout)(this.#timer);
    this.#timer = undefined;
    if (this.#buffer === "") return false;
    const note =
      this.#skippedBytes > 0
        ? `[wisehosting] ${this.#skippedBytes} bytes of build output left out: over the log rate\n`
        : "";
    const logs = note + this.#buffer;
    this.#buffer = "";
    const bytes = Buffer.byteLength(logs, "utf8") + MESSAGE_OVERHEAD_BYTES;
    if (!this.#o.budget.take(bytes) || !this.#o.send("build_log", { job_id: this.#o.jobId, logs })) {
      this.#skippedBytes += Buffer.byteLength(logs, "utf8") - Buffer.byteLength(note, "utf8");
      return false;
    }
    this.#skippedBytes = 0;
    return true;
  }

  /** Sends the rest; nothing is written after this. */
  close(): void {
    this.flush();
    this.#closed = true;
  }

  #remember(text: string): void {
    const lines = (this.#partial + text).split(/\r?\n/);
    this.#partial = lines.pop() ?? "";
    this.#tail.push(...lines.filter((l) => l.trim() !== ""));
    if (this.#tail.length > TAIL_LINES) this.#tail = this.#tail.slice(-TAIL_LINES);
  }
}
