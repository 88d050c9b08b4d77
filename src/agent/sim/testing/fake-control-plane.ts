import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";

import { WebSocketServer } from "ws";

import { API_KEY_PATTERN, randomHex } from "../../../crypto/api-key.js";
import { WaitTimeoutError } from "../errors.js";
import { Inbox } from "../inbox.js";
import { FakeWorkerSocket } from "./fake-worker-socket.js";

export interface FakeControlPlaneOptions {
  /** The only bearer `register` accepts. */
  masterSecret: string;
  heartbeatIntervalS?: number;
  statsIntervalS?: number;
  /** Lifetime of the tokens it hands out; defaults to 15 minutes. */
  tokenTtlMs?: number;
  /** Sign every `hello` with this key instead of the worker's envelope key. */
  helloKey?: Buffer;
  now?: () => number;
}

interface FakeWorker {
  id: number;
  name: string;
  apiKey: string;
}

/**
 * TEST DOUBLE of the control plane's worker endpoints, on 127.0.0.1 and a
 * free port: `register` (master secret only), `refresh-token` (raw API key),
 * and the worker socket (a token it issued, unexpired, or a registered raw
 * API key; anything else gets a plain HTTP 401 before the upgrade). It checks
 * just enough to exercise a worker client; the real rules live in src/api.
 */
export class FakeControlPlane {
  readonly baseUrl: string;
  /** Successful refresh-token calls so far. */
  refreshes = 0;
  readonly #opts: FakeControlPlaneOptions;
  readonly #now: () => number;
  readonly #server: Server;
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #workers = new Map<string, FakeWorker>();
  readonly #tokens = new Map<string, { worker: FakeWorker; expiresAt: number }>();
  readonly #sockets = new Inbox<FakeWorkerSocket>(1000);
  readonly #all: FakeWorkerSocket[] = [];

  private constructor(options: FakeControlPlaneOptions, server: Server) {
    this.#opts = options;
    this.#now = options.now ?? Date.now;
    this.#server = server;
    const { port } = server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
    server.on("request", (req: IncomingMessage, res: ServerResponse) => void this.#onRequest(req, res));
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.#onUpgrade(req, socket, head),
    );
  }

  static async start(options: FakeControlPlaneOptions): Promise<FakeControlPlane> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return new FakeControlPlane(options, server);
  }

  /** Registers `name` with `apiKey` directly, as if `register` had been called. */
  addWorker(name: string, apiKey: string): number {
    const worker = { id: this.#workers.get(name)?.id ?? this.#workers.size + 1, name, apiKey };
    this.#workers.set(name, worker);
    return worker.id;
  }

  /** The oldest worker socket not yet returned here, or the next to connect. */
  nextSocket(timeoutMs = 5_000): Promise<FakeWorkerSocket> {
    const any = (s: FakeWorkerSocket): s is FakeWorkerSocket => s instanceof FakeWorkerSocket;
    return this.#sockets.take(any, timeoutMs, () => new WaitTimeoutError("no worker connected"));
  }

  async close(): Promise<void> {
    for (const socket of this.#all) socket.ws.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const bearer = bearerOf(req);
    if (req.method === "POST" && req.url === "/v1/workers/register") {
      if (bearer !== this.#opts.masterSecret) return reply(res, 401, error("unauthorized", "bad bearer"));
      let body: {
        name?: unknown;
        api_key?: unknown;
        zone?: unknown;
        cpu_millicores?: unknown;
        memory_mb?: unknown;
      };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as typeof body;
      } catch {
        return reply(res, 400, error("invalid_request", "body is not JSON"));
      }
      if (typeof body.name !== "string" || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(body.name)) {
        return reply(res, 400, error("invalid_request", "name is invalid"));
      }
      if (typeof body.api_key !== "string" || !API_KEY_PATTERN.test(body.api_key)) {
        return reply(res, 400, error("invalid_request", "api_key is invalid"));
      }
      const id = this.addWorker(body.name, body.api_key);
      const view = {
        id,
        name: body.name,
        zone: typeof body.zone === "string" ? body.zone : "default",
        status: "offline",
        wireguard_ip: null,
        cpu_millicores: body.cpu_millicores,
        memory_mb: body.memory_mb,
        used_cpu_millicores: 0,
        used_memory_mb: 0,
        last_heartbeat: null,
      };
      return reply(res, 200, {
        worker: view,
        ...this.#issueToken({ id, name: body.name, apiKey: body.api_key }),
      });
    }
    if (req.method === "POST" && req.url === "/v1/workers/refresh-token") {
      const worker = [...this.#workers.values()].find((w) => w.apiKey === bearer);
      if (!worker) return reply(res, 401, error("unauthorized", "unknown key"));
      this.refreshes += 1;
      return reply(res, 200, this.#issueToken(worker));
    }
    return reply(res, 404, error("not_found", "no such route"));
  }

  #issueToken(worker: FakeWorker): { token: string; token_expires_at: string } {
    const token = `fake.${randomHex(16)}`;
    const expiresAt = this.#now() + (this.#opts.tokenTtlMs ?? 15 * 60_000);
    this.#tokens.set(token, { worker, expiresAt });
    return { token, token_expires_at: new Date(expiresAt).toISOString() };
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const bearer = bearerOf(req) ?? "";
    const issued = this.#tokens.get(bearer);
    // A token is void once its worker's key has been rotated, as in §1.
    const worker =
      issued && issued.expiresAt > this.#now()
        ? [this.#workers.get(issued.worker.name)].find((w) => w?.apiKey === issued.worker.apiKey)
        : [...this.#workers.values()].find((w) => w.apiKey === bearer);
    if (req.url !== "/v1/workers/ws" || !worker) {
      const body = JSON.stringify(error("unauthorized", "missing or invalid credentials"));
      socket.end(
        `HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
          `Connection: close\r\n\r\n${body}`,
      );
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const fake = new FakeWorkerSocket({
        ws,
        apiKey: worker.apiKey,
        workerId: worker.id,
        heartbeatIntervalS: this.#opts.heartbeatIntervalS ?? 30,
        statsIntervalS: this.#opts.statsIntervalS ?? 10,
        now: this.#now,
        ...(this.#opts.helloKey ? { helloKey: this.#opts.helloKey } : {}),
      });
      this.#all.push(fake);
      this.#sockets.put(fake);
    });
  }
}

function bearerOf(req: IncomingMessage): string | undefined {
  const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? "");
  return match?.[1];
}

function error(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}
