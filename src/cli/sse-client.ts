/**
 * Server-sent events on the client side, per the WHATWG event-stream format:
 * lines end in LF, CR or CRLF; a blank line dispatches the event; `:` starts
 * a comment (the server's keep-alives); `data` lines are joined with LF;
 * `event` defaults to "message"; an event without data is not dispatched.
 * The parser takes text in chunks split anywhere (inside a line, between CR
 * and LF) and yields exactly the events the whole text holds.
 */

export interface SseEvent {
  event: string;
  data: string;
  id: string | undefined;
}

export class SseParser {
  #buffer = "";
  /** The previous chunk ended in CR: a LF at the start of the next one belongs to it. */
  #pendingCr = false;
  #event = "";
  #data: string[] = [];
  #id: string | undefined;

  /** Feeds one chunk; returns the events it completed, in order. */
  push(chunk: string): SseEvent[] {
    let text = chunk;
    if (this.#pendingCr && text.startsWith("\n")) text = text.slice(1);
    this.#pendingCr = false;
    this.#buffer += text;
    const out: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.#buffer.length; i++) {
      const c = this.#buffer.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.#line(this.#buffer.slice(start, i), out);
      if (c === 13) {
        if (i + 1 < this.#buffer.length) {
          if (this.#buffer.charCodeAt(i + 1) === 10) i++;
        } else {
          this.#pendingCr = true;
        }
      }
      start = i + 1;
    }
    this.#buffer = this.#buffer.slice(start);
    return out;
  }

  /** End of stream: an event not followed by a blank line is dropped, as the format says. */
  end(): SseEvent[] {
    this.#buffer = "";
    this.#data = [];
    this.#event = "";
    return [];
  }

  #line(line: string, out: SseEvent[]): void {
    if (line === "") {
      if (this.#data.length > 0) {
        out.push({ event: this.#event || "message", data: this.#data.join("\n"), id: this.#id });
      }
      this.#data = [];
      this.#event = "";
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.#data.push(value);
    else if (field === "event") this.#event = value;
    else if (field === "id" && !value.includes("\0")) this.#id = value;
    // `retry` and unknown fields are ignored: the CLI does not reconnect on its own.
  }
}

/**
 * The events of a response body, decoded as UTF-8 across chunk boundaries.
 * Ends when the server closes the stream or `signal` aborts.
 */
export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const parser = new SseParser();
  const decoder = new TextDecoder("utf-8");
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (const ev of parser.push(decoder.decode(value, { stream: true }))) yield ev;
    }
    for (const ev of parser.push(decoder.decode())) yield ev;
    parser.end();
  } finally {
    await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/** The JSON in an event's data, or null when it is not JSON (a stream from something else). */
export function eventJson<T>(ev: SseEvent): T | null {
  try {
    return JSON.parse(ev.data) as T;
  } catch {
    return null;
  }
}
