/** Seqs this far or further below the highest seen are always replays. */
export const SEQ_WINDOW = 256;
/** The seen set is pruned once it holds more than this many seqs. */
export const SEQ_PRUNE_AT = 1024;

/**
 * Replay protection for the inbound seqs of one connection (worker protocol
 * §3, check 4).
 *
 * Contract of `accept(seq)`:
 * - returns true at most once for any seq, and only for a safe integer ≥ 1;
 * - returns false (a replay) for a seq already accepted, or for
 *   seq ≤ highest − 256, where highest is the largest seq accepted so far;
 * - otherwise returns true and records the seq; seqs may arrive out of order
 *   within the window.
 *
 * Memory: every accepted seq above highest − 256 is remembered; once the set
 * passes 1024 entries, everything ≤ highest − 256 is dropped (those are
 * rejected by the bound above anyway), so `size` never exceeds 1025.
 */
export class SeqWindow {
  #highest = 0;
  readonly #seen = new Set<number>();

  accept(seq: number): boolean {
    if (!Number.isSafeInteger(seq) || seq < 1) return false;
    if (seq <= this.#highest - SEQ_WINDOW || this.#seen.has(seq)) return false;
    this.#seen.add(seq);
    if (seq > this.#highest) this.#highest = seq;
    if (this.#seen.size > SEQ_PRUNE_AT) this.#prune();
    return true;
  }

  /** The largest seq accepted so far; 0 before the first. */
  get highest(): number {
    return this.#highest;
  }

  /** How many seqs are remembered (for tests and metrics). */
  get size(): number {
    return this.#seen.size;
  }

  #prune(): void {
    const floor = this.#highest - SEQ_WINDOW;
    for (const seq of this.#seen) {
      if (seq <= floor) this.#seen.delete(seq);
    }
  }
}
