import type WebSocket from "ws";

import { envelopeKey } from "../../../crypto/api-key.js";
import type { DecodeFailure } from "../../../protocol/codec.js";
import { EnvelopeCodec } from "../../../protocol/codec.js";
import type { Envelope } from "../../../protocol/envelope.js";
import { generateConnId, signEnvelope } from "../../../protocol/envelope.js";
import type {
  ParsedMessage,
  PayloadInput,
  ServerMessageSchemas,
  ServerMessageType,
  WorkerMessageSchemas,
  WorkerMessageType,
} from "../../../protocol/messages.js";
import { serverMessageSchemas, workerMessageSchemas } from "../../../protocol/messages.js";
import { ConnectionClosedError, WaitTimeoutError } from "../errors.js";
import { rawToText } from "../handshake.js";
import { Inbox } from "../inbox.js";
import type { CloseInfo } from "../worker-connection.js";

/** A worker message as the fake server decoded it. */
export type ReceivedMessage = ParsedMessage<WorkerMessageSchemas> & { env: Envelope };
export type ReceivedMessageOf<T extends WorkerMessageType> = Extract<ReceivedMessage, { type: T }>;

export interface FakeWorkerSocketOptions {
  ws: WebSocket;
  apiKey: string;
  workerId: number;
  heartbeatIntervalS: number;
  statsIntervalS: number;
  /** Sign the hello with this key instead of the worker's envelope key. */
  helloKey?: Buffer;
  now: () => number;
}

/**
 * TEST DOUBLE. The server end of one worker socket in the fake control
 * plane: it sends a signed `hello` at once, decodes every worker frame with
 * the server-side `EnvelopeCodec`, and lets tests wait for messages or
 * failures and send arbitrary server frames. It enforces nothing beyond the
 * codec's checks and never sends `error` envelopes on its own.
 */
export class FakeWorkerSocket {
  readonly ws: WebSocket;
  readonly codec: EnvelopeCodec<WorkerMessageSchemas, ServerMessageSchemas>;
  readonly key: Buffer;
  readonly closed: Promise<CloseInfo>;
  /** Every frame the worker sent, in order, with what the codec made of it. */
  readonly frames: { text: string; result: ReceivedMessage | DecodeFailure }[] = [];
  readonly #messages = new Inbox<ReceivedMessage>(10_000);
  readonly #failures = new Inbox<DecodeFailure>(10_000);

  constructor(options: FakeWorkerSocketOptions) {
    this.ws = options.ws;
    this.key = envelopeKey(options.apiKey);
    this.codec = new EnvelopeCodec({
      key: this.key,
      connId: generateConnId(),
      inbound: workerMessageSchemas,
      outbound: serverMessageSchemas,
      now: options.now,
    });
    this.closed = new Promise((resolve) => {
      this.ws.once("close", (code: number, reason: Buffer) => {
        const err = new ConnectionClosedError(`worker socket closed with ${code}`);
        this.#messages.close(err);
        this.#failures.close(err);
        resolve({ code, reason: reason.toString("utf8") });
      });
    });
    this.ws.on("message", (data, isBinary) => {
      const text = rawToText(data);
      const decoded = isBinary
        ? ({ ok: false, code: "bad_envelope", replyTo: null, fatal: false, message: "binary" } as const)
        : this.codec.decode(text);
      if (decoded.ok) {
        const { ok: _ok, ...msg } = decoded;
        this.frames.push({ text, result: msg });
        this.#messages.put(msg);
      } else {
        this.frames.push({ text, result: decoded });
        this.#failures.put(decoded);
      }
    });
    const hello = {
      conn_id: this.codec.connId,
      worker_id: options.workerId,
      server_time: options.now(),
      heartbeat_interval_s: options.heartbeatIntervalS,
      stats_interval_s: options.statsIntervalS,
    };
    if (options.helloKey) {
      // Still uses (and advances) the codec's seq, only with the wrong key.
      const env = JSON.parse(this.codec.encode("hello", hello)) as Envelope;
      this.ws.send(JSON.stringify(signEnvelope(options.helloKey, this.codec.connId, env)));
    } else {
      this.send("hello", hello);
    }
  }

  get connId(): string {
    return this.codec.connId;
  }

  /** Signs and sends one server message; returns its seq. */
  send<T extends ServerMessageType>(
    type: T,
    payload: PayloadInput<ServerMessageSchemas, T>,
    replyTo: number | null = null,
  ): number {
    this.ws.send(this.codec.encode(type, payload, replyTo));
    return this.codec.lastSeq;
  }

  sendRaw(frame: string): void {
    this.ws.send(frame);
  }

  /** The oldest unclaimed worker message of `type` (and `predicate`), or the next one. */
  waitFor<T extends WorkerMessageType>(
    type: T,
    predicate: (msg: ReceivedMessageOf<T>) => boolean = () => true,
    timeoutMs = 5_000,
  ): Promise<ReceivedMessageOf<T>> {
    const matches = (m: ReceivedMessage): m is ReceivedMessageOf<T> =>
      m.type === type && predicate(m as ReceivedMessageOf<T>);
    return this.#messages.take(
      matches,
      timeoutMs,
      () => new WaitTimeoutError(`no ${type} within ${timeoutMs} ms`),
    );
  }

  /** The oldest unclaimed frame that failed the codec's checks, or the next one. */
  waitForFailure(timeoutMs = 5_000): Promise<DecodeFailure> {
    const any = (f: DecodeFailure): f is DecodeFailure => f.ok === false;
    return this.#failures.take(
      any,
      timeoutMs,
      () => new WaitTimeoutError(`no failure within ${timeoutMs} ms`),
    );
  }

  close(code = 1000, reason = ""): Promise<CloseInfo> {
    this.ws.close(code, reason);
    return this.closed;
  }
}
