import { EventEmitter } from "node:events";

import WebSocket from "ws";
import type { RawData } from "ws";

import { envelopeKey } from "../../crypto/api-key.js";
import { HmacSha256Key } from "../../crypto/hmac-sha256.js";
import type { DecodeFailure } from "../../protocol/codec.js";
import type { Envelope } from "../../protocol/envelope.js";
import { signEnvelope } from "../../protocol/envelope.js";
import { CLOSE_POLICY_VIOLATION } from "../../protocol/errors.js";
import type {
  ParsedMessage,
  PayloadInput,
  ServerMessageSchemas,
  ServerMessageType,
  WorkerMessageSchemas,
  WorkerMessageType,
} from "../../protocol/messages.js";
import { ConnectionClosedError, WaitTimeoutError } from "./errors.js";
import type { HandshakeOptions, HelloPayload, WorkerCodec } from "./handshake.js";
import { openWorkerSocket, rawToText } from "./handshake.js";
import { Inbox } from "./inbox.js";

/** A verified message from the server. */
export type InboundMessage = ParsedMessage<ServerMessageSchemas> & { env: Envelope };
export type InboundMessageOf<T extends ServerMessageType> = Extract<InboundMessage, { type: T }>;

export interface CloseInfo {
  code: number;
  reason: string;
}

export interface WorkerConnectionEvents {
  /** Every inbound envelope that passed checks 1–6 of §3, in arrival order. */
  message: [InboundMessage];
  /** Every inbound frame that failed a check; `fatal` (bad_signature) is followed by a 1008 close. */
  protocolError: [DecodeFailure];
  close: [CloseInfo];
}

export interface ConnectOptions extends HandshakeOptions {
  /** Close with 1008 after a bad signature, as the server does; defaults to true. */
  closeOnBadSignature?: boolean;
  /** Unclaimed messages `waitFor` remembers; the oldest are dropped beyond this. Defaults to 1000. */
  backlogLimit?: number;
}

/** Fields of a hand-crafted envelope; see `WorkerConnection.signed`. */
export interface CraftedEnvelope {
  type: string;
  seq: number;
  /** Defaults to the connection's clock. */
  ts?: number;
  reply_to?: number | null;
  /** The payload's JSON text, or an object that is serialised with `JSON.stringify`. */
  payload: string | object;
  /** Sign with another key (e.g. to provoke `bad_signature`); defaults to the envelope key. */
  key?: Buffer;
  /** Sign for another connection; defaults to this connection's `conn_id`. */
  connId?: string;
}

/**
 * One authenticated worker socket (worker protocol §3–§5), the reusable
 * protocol half of an agent: it signs what it sends, checks everything it
 * receives exactly as the server checks a worker's envelopes, and knows
 * nothing about what a worker does with a job.
 *
 * Event timing: `connect` resolves as soon as `hello` is verified. Events for
 * frames that arrive before the caller could attach listeners are held and
 * emitted, in order, on the next macrotask after `connect` resolves, so
 * listeners attached right after `await connect(...)` miss nothing.
 */
export class WorkerConnection extends EventEmitter<WorkerConnectionEvents> {
  /** The verified `hello` payload. */
  readonly helloPayload: HelloPayload;
  /** Resolves once the socket has closed, for whatever reason; never rejects. */
  readonly closed: Promise<CloseInfo>;
  readonly #ws: WebSocket;
  readonly #codec: WorkerCodec;
  /** The envelope key, prepared once for every envelope this connection signs. */
  readonly #key: HmacSha256Key;
  readonly #now: () => number;
  readonly #closeOnBadSignature: boolean;
  readonly #inbox: Inbox<InboundMessage>;
  #held: (() => void)[] | null = [];
  #closeInfo: CloseInfo | null = null;

  private constructor(ws: WebSocket, codec: WorkerCodec, hello: HelloPayload, options: ConnectOptions) {
    super();
    this.#ws = ws;
    this.#codec = codec;
    this.#key = new HmacSha256Key(envelopeKey(options.apiKey));
    this.helloPayload = hello;
    this.#now = options.now ?? Date.now;
    this.#closeOnBadSignature = options.closeOnBadSignature ?? true;
    this.#inbox = new Inbox(options.backlogLimit ?? 1000);
    ws.on("message", (data, isBinary) => this.#onFrame(data, isBinary));
    // An 'error' is always followed by 'close', which carries what callers need.
    ws.on("error", () => undefined);
    this.closed = new Promise((resolve) => {
      ws.once("close", (code: number, reason: Buffer) => {
        const info = { code, reason: reason.toString("utf8") };
        this.#closeInfo = info;
        this.#inbox.close(new ConnectionClosedError(`connection closed with ${code}`));
        this.#emitOrHold(() => this.emit("close", info));
        resolve(info);
      });
    });
    setImmediate(() => {
      const held = this.#held ?? [];
      this.#held = null;
      for (const emit of held) emit();
    });
  }

  /** Opens `ws(s)://…/v1/workers/ws` and resolves once the server's `hello` is verified (see `openWorkerSocket`). */
  static connect(options: ConnectOptions): Promise<WorkerConnection> {
    return openWorkerSocket(options, (ws, codec, hello) => new WorkerConnection(ws, codec, hello, options));
  }

  /** Alias of `helloPayload`. */
  get hello(): HelloPayload {
    return this.helloPayload;
  }

  get connId(): string {
    return this.#codec.connId;
  }

  /** The connection's codec (its seq counter and checks), for tests that go beneath `send`. */
  get codec(): WorkerCodec {
    return this.#codec;
  }

  get isOpen(): boolean {
    return this.#ws.readyState === WebSocket.OPEN;
  }

  /**
   * Signs and sends one message; returns the seq it used (1, 2, ... per
   * connection). Throws `ConnectionClosedError` once the socket is not open.
   * The payload is typed by the worker catalogue but not validated at run time.
   */
  send<T extends WorkerMessageType>(
    type: T,
    payload: PayloadInput<WorkerMessageSchemas, T>,
    replyTo: number | null = null,
  ): number {
    this.#assertOpen();
    this.#ws.send(this.#codec.encode(type, payload, replyTo));
    return this.#codec.lastSeq;
  }

  /** Sends any frame as it stands: a string as a text frame, a Buffer as a binary frame. */
  sendRaw(frame: string | Buffer): void {
    this.#assertOpen();
    this.#ws.send(frame, { binary: typeof frame !== "string" });
  }

  /**
   * The JSON text of an envelope with exactly the given fields, signed for
   * this connection (unless `key`/`connId` say otherwise). Does not advance
   * the codec's seq counter. Throws if the fields break the envelope schema
   * (e.g. seq 0); send such frames as hand-written JSON through `sendRaw`.
   */
  signed(fields: CraftedEnvelope): string {
    const env = signEnvelope(fields.key ?? this.#key, fields.connId ?? this.connId, {
      type: fields.type,
      seq: fields.seq,
      ts: fields.ts ?? this.#now(),
      reply_to: fields.reply_to ?? null,
      payload: typeof fields.payload === "string" ? fields.payload : JSON.stringify(fields.payload),
    });
    return JSON.stringify(env);
  }

  /**
   * Resolves with the oldest message of `type` (matching `predicate`, if
   * given) that this connection received and no earlier `waitFor` returned;
   * if none is there yet, with the next such message to arrive. Rejects with
   * `WaitTimeoutError` after `timeoutMs` (default 5 s) and with
   * `ConnectionClosedError` when the socket closes first.
   */
  waitFor<T extends ServerMessageType>(
    type: T,
    predicate: (msg: InboundMessageOf<T>) => boolean = () => true,
    timeoutMs = 5_000,
  ): Promise<InboundMessageOf<T>> {
    const matches = (msg: InboundMessage): msg is InboundMessageOf<T> =>
      msg.type === type && predicate(msg as InboundMessageOf<T>);
    return this.#inbox.take(
      matches,
      timeoutMs,
      () => new WaitTimeoutError(`no ${type} within ${timeoutMs} ms`),
    );
  }

  /** Starts the closing handshake (default code 1000) and resolves with what `closed` resolves with. */
  close(code = 1000, reason = ""): Promise<CloseInfo> {
    if (this.#ws.readyState === WebSocket.OPEN || this.#ws.readyState === WebSocket.CONNECTING) {
      this.#ws.close(code, reason);
    }
    return this.closed;
  }

  /** Drops the TCP connection without a close frame (simulates a crashed agent). */
  terminate(): Promise<CloseInfo> {
    this.#ws.terminate();
    return this.closed;
  }

  #onFrame(data: RawData, isBinary: boolean): void {
    const result = isBinary
      ? ({ ok: false, code: "bad_envelope", replyTo: null, fatal: false, message: "binary frame" } as const)
      : this.#codec.decode(rawToText(data));
    if (!result.ok) {
      this.#emitOrHold(() => this.emit("protocolError", result));
      if (result.fatal && this.#closeOnBadSignature && this.isOpen) {
        this.#ws.close(CLOSE_POLICY_VIOLATION, "bad_signature");
      }
      return;
    }
    const { ok: _ok, ...msg } = result;
    this.#inbox.put(msg);
    this.#emitOrHold(() => this.emit("message", msg));
  }

  #emitOrHold(emit: () => void): void {
    if (this.#held) this.#held.push(emit);
    else emit();
  }

  #assertOpen(): void {
    if (!this.isOpen) {
      const code = this.#closeInfo?.code;
      throw new ConnectionClosedError(
        code === undefined ? "connection is not open" : `connection closed with ${code}`,
      );
    }
  }
}
