import type { RawData, WebSocket } from "ws";
import type { Kysely } from "kysely";
import type { DB } from "../db/schema.js";
import type { WorkerRow } from "../db/workers.js";
import { EnvelopeCodec } from "../protocol/codec.js";
import { peekSeq, type Envelope } from "../protocol/envelope.js";
import { CLOSE_POLICY_VIOLATION, type ProtocolErrorCode } from "../protocol/errors.js";
import {
  serverMessageSchemas,
  workerMessageSchemas,
  type ParsedMessage,
  type PayloadInput,
  type ServerMessageSchemas,
  type ServerMessageType,
  type WorkerMessageSchemas,
} from "../protocol/messages.js";
import { AppOwnership, type OwnershipQuery } from "./app-ownership.js";
import {
  LOG_BURST_BYTES,
  LOG_RATE_BYTES_PER_SEC,
  OncePer,
  RATE_LIMITED_ERROR_INTERVAL_MS,
  TokenBucket,
} from "./token-bucket.js";

export type InboundWorkerMessage = ParsedMessage<WorkerMessageSchemas> & { env: Envelope };

/** Handles one verified message: synchronously (returns nothing) or by returning a promise. */
export type MessageHandler = (conn: WorkerConn, msg: InboundWorkerMessage) => Promise<void> | void;

export interface ConnTimings {
  pingIntervalMs: number;
  pongTimeoutMs: number;
  writeTimeoutMs: number;
}

export const DEFAULT_TIMINGS: ConnTimings = {
  pingIntervalMs: 72_000,
  pongTimeoutMs: 90_000,
  writeTimeoutMs: 5000,
};

/** Inbound messages waiting for their handler before the socket is paused. */
const INBOUND_HIGH_WATER = 256;
const INBOUND_LOW_WATER = 64;

export interface ConnLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface WorkerConnOptions {
  worker: WorkerRow;
  key: Buffer;
  connId: string;
  socket: WebSocket;
  db: Kysely<DB>;
  /** The hub's batched ownership lookups; the connection makes its own without it. */
  ownershipQuery?: OwnershipQuery;
  log: ConnLogger;
  now: () => number;
  timings: ConnTimings;
  /**
   * Handles one verified message; runs strictly one after another per
   * connection. May return nothing when it finished synchronously (the
   * common case: heartbeats, stats of known apps), which costs no promise.
   */
  handle: MessageHandler;
  onClose: (conn: WorkerConn, code: number) => void;
  /** Observes each handled message: type and milliseconds from frame received to handler done (benchmarks). */
  onHandled?: (type: string, ms: number) => void;
}

/**
 * One authenticated worker WebSocket. Inbound frames go through the checks
 * of spec §3 in order (not_ready before hello; then the codec's checks 1–6);
 * log messages then pass the connection's token bucket; what survives is
 * handled in arrival order, one at a time: a message that arrives while
 * nothing is queued runs its handler at once, inside the frame's event, and
 * only a handler that returns a promise (or a message that arrives behind
 * one) goes through the promise chain. Outbound envelopes are signed
 * and written; one not flushed within writeTimeoutMs closes the connection,
 * as does a missing pong.
 */
export class WorkerConn {
  readonly workerId: number;
  readonly workerName: string;
  readonly connId: string;
  readonly ownership: AppOwnership;
  /** The job sent and not yet answered by a job_result (one at a time). */
  inFlightJobId: number | null = null;
  private readonly codec: EnvelopeCodec<WorkerMessageSchemas, ServerMessageSchemas>;
  private readonly logBucket: TokenBucket;
  private readonly rateLimitedNotice: OncePer;
  private ready = false;
  private closed = false;
  private chain: Promise<void> = Promise.resolve();
  /** Tasks (messages and `run` functions) in the chain and not yet finished; 0 means the chain is idle. */
  private queued = 0;
  private inboundPending = 0;
  private paused = false;
  private readonly unflushed: number[] = [];
  private writeTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private pongTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: WorkerConnOptions) {
    this.workerId = opts.worker.id;
    this.workerName = opts.worker.name;
    this.connId = opts.connId;
    this.codec = new EnvelopeCodec({
      key: opts.key,
      connId: opts.connId,
      inbound: workerMessageSchemas,
      outbound: serverMessageSchemas,
      now: opts.now,
    });
    this.logBucket = new TokenBucket({
      ratePerSec: LOG_RATE_BYTES_PER_SEC,
      burst: LOG_BURST_BYTES,
      now: opts.now,
    });
    this.rateLimitedNotice = new OncePer({ intervalMs: RATE_LIMITED_ERROR_INTERVAL_MS, now: opts.now });
    this.ownership = new AppOwnership({
      db: opts.db,
      workerId: opts.worker.id,
      now: opts.now,
      ...(opts.ownershipQuery ? { query: opts.ownershipQuery } : {}),
    });
    opts.socket.on("message", (data, isBinary) => this.onFrame(data, isBinary));
    opts.socket.on("pong", () => this.armPongDeadline());
    opts.socket.on("close", (code) => this.finish(code));
    opts.socket.on("error", (err) => {
      opts.log.warn({ workerId: this.workerId, err: err.message }, "worker socket error");
    });
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Sends `hello` (always the first envelope), then accepts the worker's messages. */
  sayHello(heartbeatIntervalS: number, statsIntervalS: number): void {
    this.emit("hello", {
      conn_id: this.connId,
      worker_id: this.workerId,
      server_time: this.opts.now(),
      heartbeat_interval_s: heartbeatIntervalS,
      stats_interval_s: statsIntervalS,
    });
    this.ready = true;
    this.armPongDeadline();
    this.schedulePing();
  }

  /** Signs and writes one envelope. False when the connection is closed. */
  emit<T extends ServerMessageType>(
    type: T,
    payload: PayloadInput<ServerMessageSchemas, T>,
    replyTo: number | null = null,
  ): boolean {
    if (this.closed) return false;
    const text = this.codec.encode(type, payload, replyTo);
    this.unflushed.push(this.opts.now());
    if (!this.writeTimer) this.armWriteDeadline();
    this.opts.socket.send(text, (err) => {
      this.unflushed.shift();
      if (err) this.close(1011, "write failed");
    });
    return true;
  }

  sendError(replyTo: number | null, code: ProtocolErrorCode, message: string): void {
    this.emit("error", { code, message }, replyTo);
  }

  /** Closes once; later calls do nothing. */
  close(code: number, reason: string): void {
    if (this.closed) return;
    this.opts.socket.close(code, reason);
    this.finish(code);
    // A peer that never completes the closing handshake is cut off.
    setTimeout(() => this.opts.socket.terminate(), 2000).unref();
  }

  /** Runs `fn` after the messages already received are handled, in the same order. */
  run(fn: () => Promise<void>): Promise<void> {
    this.queued++;
    this.chain = this.chain
      .then(fn)
      .catch((err: unknown) => {
        this.opts.log.error({ workerId: this.workerId, err }, "worker connection task failed");
      })
      .finally(() => {
        this.queued--;
      });
    return this.chain;
  }

  /** Waits for the messages already received to be handled (tests, shutdown). */
  drain(): Promise<void> {
    return this.chain;
  }

  private finish(code: number): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.pingTimer);
    clearTimeout(this.pongTimer);
    clearTimeout(this.writeTimer);
    this.opts.onClose(this, code);
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    if (this.closed) return;
    const receivedAt = this.opts.onHandled ? performance.now() : 0;
    const text = isBinary ? null : rawText(data);
    if (!this.ready) {
      this.sendError(text ? peekSeq(text) : null, "not_ready", "nothing may be sent before hello");
      return;
    }
    if (text === null) {
      this.sendError(null, "bad_envelope", "frames must be text");
      return;
    }
    const decoded = this.codec.decode(text);
    if (!decoded.ok) {
      this.sendError(decoded.replyTo, decoded.code, decoded.message);
      if (decoded.fatal) this.close(CLOSE_POLICY_VIOLATION, decoded.code);
      return;
    }
    if (decoded.type === "runtime_log" || decoded.type === "build_log") {
      if (!this.logBucket.take(Buffer.byteLength(decoded.env.payload, "utf8"))) {
        if (this.rateLimitedNotice.ready()) {
          this.sendError(decoded.env.seq, "rate_limited", "log rate limit exceeded (256 KiB/s, 1 MiB burst)");
        }
        return;
      }
    }
    if (this.queued > 0) {
      this.enqueue(
        decoded,
        receivedAt,
        this.chain.then(() => this.opts.handle(this, decoded)),
      );
      return;
    }
    // Nothing is queued, so handling now keeps arrival order.
    let result: Promise<void> | void;
    try {
      result = this.opts.handle(this, decoded);
    } catch (err) {
      this.handlerFailed(decoded.type, err);
      return;
    }
    if (result === undefined) this.opts.onHandled?.(decoded.type, performance.now() - receivedAt);
    else this.enqueue(decoded, receivedAt, result);
  }

  /** Puts a message whose handling is `handled` at the end of the chain; counts it for backpressure. */
  private enqueue(decoded: InboundWorkerMessage, receivedAt: number, handled: Promise<void> | void): void {
    this.queued++;
    this.inboundPending++;
    if (this.inboundPending >= INBOUND_HIGH_WATER && !this.paused) {
      this.paused = true;
      this.opts.socket.pause();
    }
    this.chain = Promise.resolve(handled)
      .then(() => this.opts.onHandled?.(decoded.type, performance.now() - receivedAt))
      .catch((err: unknown) => this.handlerFailed(decoded.type, err))
      .finally(() => {
        this.queued--;
        this.inboundPending--;
        if (this.paused && this.inboundPending <= INBOUND_LOW_WATER) {
          this.paused = false;
          this.opts.socket.resume();
        }
      });
  }

  private handlerFailed(type: string, err: unknown): void {
    this.opts.log.error({ workerId: this.workerId, type, err }, "worker message handler failed");
  }

  /** A setTimeout chain: ping every pingIntervalMs while open. */
  private schedulePing(): void {
    this.pingTimer = setTimeout(() => {
      if (this.closed) return;
      this.opts.socket.ping();
      this.schedulePing();
    }, this.opts.timings.pingIntervalMs);
    this.pingTimer.unref();
  }

  private armPongDeadline(): void {
    clearTimeout(this.pongTimer);
    this.pongTimer = setTimeout(() => {
      this.opts.log.warn({ workerId: this.workerId }, "no pong in time, closing");
      this.close(1001, "pong timeout");
    }, this.opts.timings.pongTimeoutMs);
    this.pongTimer.unref();
  }

  /**
   * One lazy timer for the oldest write not yet flushed to the socket: when
   * it fires, a write older than writeTimeoutMs closes the connection;
   * otherwise it re-arms for the write that is now the oldest.
   */
  private armWriteDeadline(): void {
    this.writeTimer = undefined;
    const oldest = this.unflushed[0];
    if (oldest === undefined || this.closed) return;
    const wait = Math.max(0, oldest + this.opts.timings.writeTimeoutMs - this.opts.now());
    this.writeTimer = setTimeout(() => {
      const first = this.unflushed[0];
      if (first !== undefined && this.opts.now() - first >= this.opts.timings.writeTimeoutMs) {
        this.opts.log.warn({ workerId: this.workerId }, "write not flushed in time, closing");
        this.opts.socket.terminate();
        this.finish(1006);
        return;
      }
      this.armWriteDeadline();
    }, wait);
    this.writeTimer.unref();
  }
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString("utf8");
  return data.toString("utf8");
}
