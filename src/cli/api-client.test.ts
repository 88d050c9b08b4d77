import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CliApi, seg } from "./api-client.js";
import { ApiError, CliError } from "./cli-errors.js";
import { countingStream } from "./progress.js";

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: Buffer;
}
const seen: Seen[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks) });
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { "content-type": "application/json", ...headers });
        res.end(JSON.stringify(body));
      };
      if (req.url === "/api/v1/auth/login")
        return json(200, { user: {} }, { "set-cookie": "wh_session=abc; HttpOnly" });
      if (req.url === "/api/v1/apps/nope")
        return json(404, { error: { code: "not_found", message: "app nope not found" } });
      if (req.url === "/api/v1/me")
        return json(401, { error: { code: "unauthorized", message: "bad token" } });
      if (req.url === "/api/v1/html") {
        res.writeHead(502, { "content-type": "text/html" });
        return res.end("<h1>Bad Gateway</h1>");
      }
      if (req.url === "/api/v1/empty") {
        res.writeHead(204);
        return res.end();
      }
      json(200, { ok: true, bytes: chunks.reduce((n, c) => n + c.length, 0) });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("CliApi", () => {
  it("sends Origin and the bearer, keeps the session cookie and sends it back", async () => {
    const api = new CliApi({ server: base });
    await api.post("/auth/login", { email: "a", password: "b" });
    expect(api.cookie).toBe("wh_session=abc");
    api.token = "wh_tok";
    await api.get("/apps", { tail: 5, skip: undefined });
    const last = seen.at(-1)!;
    expect(last.url).toBe("/api/v1/apps?tail=5");
    expect(last.headers.origin).toBe(base);
    expect(last.headers.authorization).toBe("Bearer wh_tok");
    expect(last.headers.cookie).toBe("wh_session=abc");
    expect(seen.at(-2)!.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(seen.at(-2)!.body.toString())).toEqual({ email: "a", password: "b" });
  });

  it("turns the API's error body into ApiError with its message and code", async () => {
    const api = new CliApi({ server: base, token: "t" });
    const err = await api.get("/apps/nope").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 404, code: "not_found", message: "app nope not found", exitCode: 1 });
    const unauth = (await api.get("/me").catch((e: unknown) => e)) as ApiError;
    expect(unauth.message).toMatch(/bad token.*wisehosting login/);
    const html = (await api.get("/html").catch((e: unknown) => e)) as ApiError;
    expect(html).toMatchObject({ status: 502, code: "http_502" });
    expect(html.message).toMatch(/502/);
    expect(await api.get("/empty")).toBeUndefined();
  });

  it("says the server cannot be reached instead of a stack", async () => {
    const api = new CliApi({ server: "http://127.0.0.1:1" });
    const err = await api.get("/apps").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as Error).message).toMatch(/cannot reach http:\/\/127\.0\.0\.1:1/);
  });

  it("streams an upload with its content type and length, counting the bytes", async () => {
    const payload = new Uint8Array(3 * 1024 * 1024).fill(7);
    let counted = 0;
    const source = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < payload.length; i += 65536) c.enqueue(payload.subarray(i, i + 65536));
        c.close();
      },
    });
    const api = new CliApi({ server: base, token: "t" });
    const res = await api.request<{ bytes: number }>("POST", `/apps/${seg("web")}/deployments`, {
      body: countingStream(source, (n) => (counted += n)),
      contentType: "application/gzip",
      contentLength: payload.length,
      query: { commit_sha: "abc", commit_message: "fix: a & b" },
    });
    expect(res.bytes).toBe(payload.length);
    expect(counted).toBe(payload.length);
    const last = seen.at(-1)!;
    expect(last.headers["content-type"]).toBe("application/gzip");
    expect(last.headers["content-length"]).toBe(String(payload.length));
    expect(new URL(last.url, base).searchParams.get("commit_message")).toBe("fix: a & b");
  });

  it("encodes path segments", () => {
    expect(seg("a/b?c")).toBe("a%2Fb%3Fc");
  });
});
