import { request as httpRequest } from "node:http";

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/**
 * POSTs `chunks` with node:http (chunked unless a content-length header is
 * given), reading the response even if the server answers before the body is
 * sent (an early 413). `abort` sends the first chunk only, then destroys the
 * connection, like a client going away mid-upload (resolves with status 0).
 */
export function rawPost(
  url: string,
  headers: Record<string, string>,
  chunks: readonly Buffer[],
  opts: { abort?: boolean; onFirstChunk?: () => Promise<void> } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    // A fresh connection each time: one left mid-body must not carry the next request.
    const req = httpRequest(url, { method: "POST", headers, agent: false });
    let answered = false;
    req.on("response", (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () => {
        const text = Buffer.concat(parts).toString("utf8");
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: text.startsWith("{") ? JSON.parse(text) : text,
        });
        req.destroy();
      });
    });
    req.on("error", (err) => {
      if (opts.abort) resolve({ status: 0, headers: {}, body: undefined });
      else if (!answered) reject(err);
    });
    (async () => {
      for (const [i, c] of chunks.entries()) {
        if (answered || req.destroyed) return;
        if (!req.write(c)) await new Promise((r) => req.once("drain", r));
        if (i === 0 && opts.onFirstChunk) await opts.onFirstChunk();
        if (opts.abort) {
          req.destroy();
          return;
        }
      }
      req.end();
    })().catch((err: unknown) => {
      req.destroy();
      reject(err instanceof Error ? err : new Error(String(err)));
    });
  });
}

/** `buf` cut into pieces of `size` bytes. */
export function pieces(buf: Buffer, size = 16 * 1024): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

export interface SseEvent {
  event: string;
  data: any;
}

/**
 * Reads server-sent events from a fetch response until `stop` says so or the
 * stream ends; returns the events seen.
 */
export async function readEvents(res: Response, stop: (events: SseEvent[]) => boolean): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += decoder.decode(value, { stream: true });
    let at: number;
    while ((at = buffered.indexOf("\n\n")) >= 0) {
      const block = buffered.slice(0, at);
      buffered = buffered.slice(at + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event !== undefined && data !== undefined) events.push({ event, data: JSON.parse(data) });
    }
    if (stop(events)) {
      await reader.cancel();
      break;
    }
  }
  return events;
}
