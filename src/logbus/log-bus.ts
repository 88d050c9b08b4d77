/** One line of an app's runtime output, already sanitised and capped by whoever publishes it. */
export interface LogLine {
  appId: number;
  /** Milliseconds since the epoch, from the worker's clock. */
  ts: number;
  stream: "stdout" | "stderr";
  line: string;
}

/**
 * Fan-out of runtime log lines from workers to readers (log tails, live
 * streams). An interface so that a cross-replica implementation can replace
 * the in-memory one without touching publishers or readers.
 *
 * Contract for every implementation:
 * - `publish` delivers the lines to the app's current subscribers in the
 *   order given, and keeps a bounded recent history per app for `tail`;
 * - a subscriber that throws affects neither other subscribers nor the
 *   publisher;
 * - `tail(appId, n)` returns at most the last `n` lines kept, oldest first;
 * - the function `subscribe` returns unsubscribes, and calling it again does
 *   nothing.
 */
export interface LogBus {
  publish(lines: readonly LogLine[]): void;
  tail(appId: number, n: number): LogLine[];
  subscribe(appId: number, fn: (line: LogLine) => void): () => void;
}
