import http from "node:http";
import type { AddressInfo } from "node:net";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonRequest } from "./formatters/request.js";
import { GuardedHttpClient } from "./http-client.js";
import type { Resolver } from "./ssrf.js";

/** The client connects to the address the guard checked, and only resolves once. */

let server: http.Server;
let port = 0;
const seen: { host: string | undefined; remote: string | undefined }[] = [];
beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push({ host: req.headers.host, remote: req.socket.remoteAddress });
    req.resume();
    res.end("ok");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("GuardedHttpClient", () => {
  it("resolves once and connects to the checked address (a rebinding answer is never used)", async () => {
    let calls = 0;
    const resolver: Resolver = () => {
      calls += 1;
      // The first answer passes the guard; a second lookup would get the metadata address.
      return Promise.resolve([{ address: calls === 1 ? "127.0.0.1" : "169.254.169.254", family: 4 }]);
    };
    const client = new GuardedHttpClient({ allowPrivateTargets: true, resolver, timeoutMs: 2000 });
    const outcome = await client.send(jsonRequest(`http://rebind.test:${port}/hook?x=1`, { a: 1 }));
    client.close();
    expect(outcome).toEqual({ ok: true, statusCode: 200, error: null, blocked: false });
    expect(calls).toBe(1);
    expect(seen.at(-1)).toEqual({ host: `rebind.test:${port}`, remote: "127.0.0.1" });
  });

  it("sends the original host name as the TLS server name and verifies the certificate", async () => {
    let servername: string | undefined;
    const tlsServer = tls.createServer({
      SNICallback: (name, cb) => {
        servername = name;
        cb(new Error("no certificate here"));
      },
    });
    await new Promise<void>((r) => tlsServer.listen(0, "127.0.0.1", r));
    const tlsPort = (tlsServer.address() as AddressInfo).port;
    const resolver: Resolver = () => Promise.resolve([{ address: "127.0.0.1", family: 4 }]);
    const client = new GuardedHttpClient({ allowPrivateTargets: true, resolver, timeoutMs: 2000 });
    const outcome = await client.send(jsonRequest(`https://hooks.example.test:${tlsPort}/x`, {}));
    client.close();
    await new Promise<void>((r) => tlsServer.close(() => r()));
    expect(servername).toBe("hooks.example.test");
    expect(outcome).toMatchObject({ ok: false, statusCode: null, blocked: false });
  });

  it("refuses schemes other than http(s) and unparseable URLs without connecting", async () => {
    const client = new GuardedHttpClient({ allowPrivateTargets: true });
    expect(await client.send(jsonRequest("ftp://127.0.0.1/x", {}))).toMatchObject({ ok: false });
    expect(await client.send(jsonRequest("not a url", {}))).toMatchObject({ ok: false });
    client.close();
  });

  it("reports a refused connection as an error without the URL's path or query", async () => {
    const client = new GuardedHttpClient({ allowPrivateTargets: true, timeoutMs: 2000 });
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const outcome = await client.send(
      jsonRequest(`http://127.0.0.1:${deadPort}/s3cret-path?token=s3cret`, {}),
    );
    client.close();
    expect(outcome).toMatchObject({ ok: false, statusCode: null });
    expect(outcome.error).toMatch(/ECONNREFUSED/);
    expect(outcome.error).not.toMatch(/s3cret/);
  });
});
