import { createServer } from "node:http";
import type { IncomingHttpHeaders, Server } from "node:http";
import type { AddressInfo } from "node:net";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { generateApiKey } from "../../crypto/api-key.js";
import { WorkerHttpError } from "./errors.js";
import { refreshToken, registerWorker } from "./http-client.js";

interface Seen {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One canned reply for every request; records what it was asked. */
let server: Server;
let baseUrl: string;
let seen: Seen[];
let replyWith: { status: number; body: string };

beforeEach(async () => {
  seen = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.push({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      res.writeHead(replyWith.status, { "content-type": "application/json" }).end(replyWith.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const worker = {
  id: 7,
  name: "worker-1",
  zone: "eu-central",
  status: "offline",
  wireguard_ip: "10.8.0.2",
  cpu_millicores: 4000,
  memory_mb: 8192,
  used_cpu_millicores: 0,
  used_memory_mb: 0,
  last_heartbeat: null,
};

describe("registerWorker", () => {
  it("posts the request with the bearer and returns worker, token and expiry", async () => {
    replyWith = {
      status: 200,
      body: JSON.stringify({ worker, token: "a.b.c", token_expires_at: "2026-11-29T12:15:00Z" }),
    };
    const apiKey = generateApiKey();
    const request = {
      name: "worker-1",
      api_key: apiKey,
      zone: "eu-central",
      cpu_millicores: 4000,
      memory_mb: 8192,
    };
    const res = await registerWorker({ baseUrl: `${baseUrl}/`, bearer: "join-token", request });
    expect(res).toEqual({ worker, token: "a.b.c", token_expires_at: "2026-11-29T12:15:00Z" });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: "POST", url: "/v1/workers/register" });
    expect(seen[0]?.headers.authorization).toBe("Bearer join-token");
    expect(seen[0]?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(seen[0]?.body ?? "")).toEqual(request);
  });

  it("throws a WorkerHttpError with the status and the body's code and message", async () => {
    replyWith = {
      status: 401,
      body: JSON.stringify({ error: { code: "unauthorized", message: "bad bearer" } }),
    };
    const attempt = registerWorker({
      baseUrl,
      bearer: "nope",
      request: { name: "w", api_key: generateApiKey(), cpu_millicores: 1, memory_mb: 1 },
    });
    await expect(attempt).rejects.toBeInstanceOf(WorkerHttpError);
    await expect(attempt).rejects.toMatchObject({ status: 401, code: "unauthorized", message: "bad bearer" });
  });

  it("names a non-spec error body by its status", async () => {
    replyWith = { status: 502, body: "<html>bad gateway</html>" };
    const attempt = registerWorker({
      baseUrl,
      bearer: "x",
      request: { name: "w", api_key: generateApiKey(), cpu_millicores: 1, memory_mb: 1 },
    });
    await expect(attempt).rejects.toMatchObject({
      status: 502,
      code: "http_502",
      body: "<html>bad gateway</html>",
    });
  });

  it("rejects a 200 whose body breaks the spec as bad_response", async () => {
    replyWith = {
      status: 200,
      body: JSON.stringify({ worker: { ...worker, id: "7" }, token: "t", token_expires_at: "x" }),
    };
    const attempt = registerWorker({
      baseUrl,
      bearer: "x",
      request: { name: "w", api_key: generateApiKey(), cpu_millicores: 1, memory_mb: 1 },
    });
    await expect(attempt).rejects.toMatchObject({ status: 200, code: "bad_response" });
  });
});

describe("refreshToken", () => {
  it("posts no body with the raw API key as bearer", async () => {
    replyWith = {
      status: 200,
      body: JSON.stringify({ token: "n.e.w", token_expires_at: "2026-11-29T12:30:00Z" }),
    };
    const apiKey = generateApiKey();
    expect(await refreshToken({ baseUrl, apiKey })).toEqual({
      token: "n.e.w",
      token_expires_at: "2026-11-29T12:30:00Z",
    });
    expect(seen[0]).toMatchObject({ method: "POST", url: "/v1/workers/refresh-token", body: "" });
    expect(seen[0]?.headers.authorization).toBe(`Bearer ${apiKey}`);
    expect(seen[0]?.headers["content-type"]).toBeUndefined();
  });

  it("throws 401 unauthorized for an unknown key", async () => {
    replyWith = {
      status: 401,
      body: JSON.stringify({ error: { code: "unauthorized", message: "unknown key" } }),
    };
    await expect(refreshToken({ baseUrl, apiKey: generateApiKey() })).rejects.toMatchObject({
      status: 401,
      code: "unauthorized",
    });
  });
});
