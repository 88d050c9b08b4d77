/** Seqs this far or further below the highest seen are always replays. */
export const SEQ_WINDOW = 256;
/**
 * The spec's bound on the seen set ("pruned when it passes 1024 entries").
 * This implementation never holds more than SEQ_WINDOW, well inside it.
 */
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
 * Memory: the seqs in (highest − 256, highest] are kept as a 256-bit ring
 * (bit seq mod 256), which is all the contract needs: anything lower is
 * rejected by the bound. 32 bytes per connection, whatever the traffic.
 */
export class SeqWindow {
  #highest = 0;
  readonly #bits = new Uint32Array(SEQ_WINDOW / 32);

  accept(seq: number): boolean {
    if (!Number.isSafeInteger(seq) || seq < 1) return false;
    if (seq <= this.#highest - SEQ_WINDOW) return false;
    if (seq > this.#highest) {
      this.#advance(seq);
    } else if (this.#has(seq)) {
      return false;
    }
    this.#set(seq);
    return true;
  }

  /** The largest seq accepted so far; 0 before the first. */
  get highest(): number {
    return this.#highest;
  }

  /** How many seqs in the window are remembered (for tests and metrics); at most 256. */
  get size(): number {
    let n = 0;
    for (const word of this.#bits) {
      let w = word;
      while (w !== 0) {
        w &= w - 1;
        n++;
      }
    }
    return n;
  }

  /** Moves highest up to seq, forgetting the slots that now fall out of the window. */
  #advance(seq: number): void {
    if (seq - this.#highest >= SEQ_WINDOW) {
      this.#bits.fill(0);
    } else {
      for (let s = this.#highest + 1; s < seq; s++) this.#clear(s);
      this.#clear(seq);
    }
    this.#highest = seq;
  }

  #has(seq: number): boolean {
    const slot = seq % SEQ_WINDOW;
    return ((this.#bits[slot >>> 5] ?? 0) & (1 << (slot & 31))) !== 0;
  }

  #set(seq: number): void {
    const slot = seq % SEQ_WINDOW;
    this.#bits[slot >>> 5] = (this.#bits[slot >>> 5] ?? 0) | (1 << (slot & 31));
  }

  #clear(seq: number): void {
    const slot = seq % SEQ_WINDOW;
    this.#bits[slot >>> 5] = (this.#bits[slot >>> 5] ?? 0) & ~(1 << (slot & 31));
  }
}
