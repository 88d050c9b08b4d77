import type { FastifyReply } from "fastify";

/** A comment line is sent this often so proxies keep an idle stream open. */
export const SSE_KEEPALIVE_MS = 15_000;
/** Events queued for a reader that does not keep up before the stream is ended. */
export const SSE_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export interface EventStream {
  /** Sends one event; `data` is JSON-encoded on one line. False once the stream is closed. */
  send(event: string, data: unknown): boolean;
  /** Ends the stream (idempotent). */
  close(): void;
  readonly closed: boolean;
  /** Resolves when the stream ends, by close() or by the client going away. */
  readonly done: Promise<void>;
}

/**
 * Turns a reply into a server-sent-events stream (text/event-stream). The
 * reply is hijacked: fastify no longer serializes it. The stream ends when
 * the client disconnects, when close() is called, or when a slow reader lets
 * more than SSE_MAX_BUFFERED_BYTES pile up (it can reconnect and re-read the
 * tail). Data is always JSON on one `data:` line, so no payload can inject
 * an event boundary.
 */
export function openEventStream(reply: FastifyReply, keepaliveMs = SSE_KEEPALIVE_MS): EventStream {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    connection: "keep-alive",
    "x-accel-buffering": "no",
    "x-content-type-options": "nosniff",
  });
  res.write(": stream open\n\n");
  let closed = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const timer = setInterval(() => {
    if (!closed) res.write(": keepalive\n\n");
  }, keepaliveMs);
  timer.unref();
  const finish = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    if (!res.writableEnded) res.end();
    resolveDone();
  };
  res.on("close", finish);
  res.on("error", finish);
  return {
    send(event, data) {
      if (closed) return false;
      if (res.writableLength > SSE_MAX_BUFFERED_BYTES) {
        finish();
        return false;
      }
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      return true;
    },
    close: finish,
    get closed() {
      return closed;
    },
    done,
  };
}
