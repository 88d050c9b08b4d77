import { Writable } from "node:stream";

/** Distinct messages kept; further ones are counted under "(other)". */
const MAX_DISTINCT = 8;

/**
 * A log destination for a benchmarked server: it prints nothing and tallies
 * every line by its message (and the error's message, if any), so a run
 * can report what the server complained about instead of hiding it.
 */
export class LogTally {
  readonly counts = new Map<string, number>();
  readonly stream = new Writable({
    write: (chunk: Buffer | string, _encoding, done) => {
      for (const line of String(chunk).split("\n")) if (line) this.add(line);
      done();
    },
  });

  private add(line: string): void {
    let key = "(unparsable log line)";
    try {
      const entry = JSON.parse(line) as { msg?: unknown; err?: { message?: unknown } | string };
      const err = typeof entry.err === "string" ? entry.err : entry.err?.message;
      key = `${String(entry.msg)}${typeof err === "string" ? `: ${err}` : ""}`;
    } catch {
      // counted under the placeholder key
    }
    if (!this.counts.has(key) && this.counts.size >= MAX_DISTINCT) key = "(other)";
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}
