import type { FastifyInstance } from "fastify";
import type { Service } from "../lifecycle.js";

/** Splits `host:port` (IPv6 in brackets) as the config schema accepts it. */
export function parseListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(":");
  const host = listen.slice(0, i).replace(/^\[(.*)\]$/, "$1");
  return { host, port: Number(listen.slice(i + 1)) };
}

/**
 * Listens for the built application. stop() stops accepting, lets requests in
 * flight finish, and closes the listening socket; it is idempotent.
 */
export class HttpListener implements Service {
  readonly name = "http";
  private listening = false;
  private closing: Promise<void> | undefined;
  /** The bound address, once started (port 0 in tests picks a free port). */
  address: { host: string; port: number } | undefined;

  constructor(
    private readonly app: FastifyInstance,
    private readonly listen: string,
  ) {}

  async start(): Promise<void> {
    const { host, port } = parseListen(this.listen);
    await this.app.listen({ host, port });
    this.listening = true;
    const addr = this.app.server.address();
    this.address = typeof addr === "object" && addr ? { host, port: addr.port } : { host, port };
  }

  stop(): Promise<void> {
    if (!this.listening) return this.closing ?? Promise.resolve();
    this.listening = false;
    return (this.closing ??= this.app.close());
  }
}
