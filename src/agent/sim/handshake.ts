import type { IncomingMessage } from "node:http";

import WebSocket from "ws";
import type { RawData } from "ws";

import { envelopeKey } from "../../crypto/api-key.js";
import { EnvelopeCodec, peekHelloConnId } from "../../protocol/codec.js";
import { MAX_FRAME_BYTES } from "../../protocol/envelope.js";
import { CLOSE_POLICY_VIOLATION } from "../../protocol/errors.js";
import type { ServerMessageSchemas, ServerPayload, WorkerMessageSchemas } from "../../protocol/messages.js";
import { serverMessageSchemas, workerMessageSchemas } from "../../protocol/messages.js";
import { httpErrorFromBody, MAX_ERROR_BODY_CHARS, WorkerConnectError } from "./errors.js";
import { endpointUrl } from "./http-client.js";

export type WorkerCodec = EnvelopeCodec<ServerMessageSchemas, WorkerMessageSchemas>;
export type HelloPayload = ServerPayload<"hello">;

export interface HandshakeOptions {
  /** `http(s)://host:port[/prefix]`; the socket goes to `ws(s)://…/v1/workers/ws`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>`: a worker JWT or the raw API key. */
  token: string;
  /** The raw API key; the envelope key is derived from it, never sent. */
  apiKey: string;
  /** Milliseconds since the epoch, for `ts` and the clock-skew check; defaults to `Date.now`. */
  now?: () => number;
  /** Deadline for the upgrade plus the server's `hello`; defaults to 10 s. */
  timeoutMs?: number;
}

/** `http://` → `ws://`, `https://` → `wss://`; a `ws(s)://` base is kept. */
export function workerSocketUrl(baseUrl: string): string {
  return endpointUrl(baseUrl, "/v1/workers/ws").replace(/^http(s?):\/\//i, "ws$1://");
}

/**
 * Opens the worker socket and completes the protocol's opening (§2, §3):
 *
 * 1. Upgrade with the bearer token. A refused upgrade rejects with a
 *    `WorkerHttpError` carrying the status and the body's error code.
 * 2. The first frame must be `hello`. Its `conn_id` is read unverified
 *    (`peekHelloConnId`), the codec is built with it and the envelope key, and
 *    the same frame is decoded through the codec, so its signature, clock and
 *    payload are checked like any later frame. Any failure rejects with
 *    `WorkerConnectError` `bad_hello` and closes the socket with 1008.
 * 3. `build(ws, codec, hello)` runs synchronously inside the hello handler,
 *    so the object it returns has its listeners on `ws` before any later
 *    frame can be emitted; the promise resolves with that object.
 *
 * Nothing is sent before `hello` has been verified.
 */
export function openWorkerSocket<T>(
  options: HandshakeOptions,
  build: (ws: WebSocket, codec: WorkerCodec, hello: HelloPayload) => T,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const ws = new WebSocket(workerSocketUrl(options.baseUrl), {
      headers: { authorization: `Bearer ${options.token}` },
      maxPayload: MAX_FRAME_BYTES,
      handshakeTimeout: options.timeoutMs ?? 10_000,
    });
    let settled = false;
    const timer = setTimeout(
      () => fail(new WorkerConnectError("hello_timeout", "no hello from the server in time")),
      options.timeoutMs ?? 10_000,
    );

    // After a failure these listeners stay attached (as no-ops) so the
    // 'error' and 'close' that follow the abort are handled.
    function fail(err: Error): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(err);
      if (ws.readyState === WebSocket.OPEN) ws.close(CLOSE_POLICY_VIOLATION, err.message.slice(0, 120));
      else ws.terminate();
    }

    function onError(err: Error): void {
      fail(new WorkerConnectError("connect_failed", err.message, { cause: err }));
    }

    function onUnexpectedResponse(_req: unknown, res: IncomingMessage): void {
      const status = res.statusCode ?? 0;
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        if (body.length < MAX_ERROR_BODY_CHARS) body += chunk;
      });
      res.on("end", () => fail(httpErrorFromBody(status, body)));
      res.on("error", () => fail(httpErrorFromBody(status, body)));
    }

    function onClose(code: number): void {
      fail(new WorkerConnectError("closed_before_hello", `socket closed with ${code} before hello`));
    }

    function onFirstMessage(data: RawData, isBinary: boolean): void {
      if (settled) return;
      const text = isBinary ? null : rawToText(data);
      const connId = text === null ? null : peekHelloConnId(text);
      if (text === null || connId === null) {
        fail(new WorkerConnectError("bad_hello", "the first frame is not a hello"));
        return;
      }
      const codec: WorkerCodec = new EnvelopeCodec({
        key: envelopeKey(options.apiKey),
        connId,
        inbound: serverMessageSchemas,
        outbound: workerMessageSchemas,
        ...(options.now ? { now: options.now } : {}),
      });
      const decoded = codec.decode(text);
      if (!decoded.ok || decoded.type !== "hello") {
        const why = decoded.ok ? `unexpected ${decoded.type}` : decoded.code;
        fail(new WorkerConnectError("bad_hello", `hello rejected: ${why}`));
        return;
      }
      settled = true;
      clearTimeout(timer);
      ws.off("error", onError);
      ws.off("unexpected-response", onUnexpectedResponse);
      ws.off("close", onClose);
      try {
        resolve(build(ws, codec, decoded.payload));
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
        ws.terminate();
      }
    }

    ws.on("error", onError);
    ws.on("unexpected-response", onUnexpectedResponse);
    ws.on("close", onClose);
    ws.once("message", onFirstMessage);
  });
}

/** A text frame's payload as a string (ws hands text frames over as a Buffer). */
export function rawToText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString("utf8");
  return data.toString("utf8");
}
