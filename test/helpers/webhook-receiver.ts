import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A webhook receiver on 127.0.0.1 for tests and the benchmark: records every
 * request and answers as `respond` says (a status, optional headers and body,
 * or "hang" to never answer). Tests wait on `waitFor(n)`, never on sleeps.
 */

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  /** performance.now() when the body was complete. */
  at: number;
}

export type Reply = { status: number; headers?: Record<string, string>; body?: string } | "hang";
export type Responder = (req: ReceivedRequest, index: number) => Reply;

export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  respond: Responder = () => ({ status: 200, body: "ok" });
  private waiters: { n: number; resolve: () => void }[] = [];

  private constructor(private readonly server: http.Server) {}

  static async start(respond?: Responder): Promise<Receiver> {
    const server = http.createServer({ keepAliveTimeout: 30_000 });
    const self = new Receiver(server);
    server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => self.handle(req, res, Buffer.concat(chunks).toString("utf8")));
    });
    if (respond) self.respond = respond;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return self;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(path = "/hook"): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Resolves once `n` requests in total have arrived. */
  waitFor(n: number): Promise<void> {
    if (this.requests.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
    const received = { method: req.method ?? "", path: req.url ?? "", headers, body, at: performance.now() };
    const index = this.requests.push(received) - 1;
    const reply = this.respond(received, index);
    if (reply !== "hang") {
      res.writeHead(reply.status, reply.headers);
      res.end(reply.body ?? "");
    }
    this.waiters = this.waiters.filter((w) => {
      if (this.requests.length < w.n) return true;
      w.resolve();
      return false;
    });
  }
}
