import type { AddressInfo } from "node:net";

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";

import { envelopeKey, generateApiKey } from "../../crypto/api-key.js";
import { EnvelopeCodec } from "../../protocol/codec.js";
import type { DecodeFailure } from "../../protocol/codec.js";
import { generateConnId, signEnvelope } from "../../protocol/envelope.js";
import { serverMessageSchemas, workerMessageSchemas } from "../../protocol/messages.js";
import type { JobPayload } from "../../protocol/messages-server.js";
import { ConnectionClosedError, WaitTimeoutError, WorkerConnectError, WorkerHttpError } from "./errors.js";
import { FakeControlPlane } from "./testing/fake-control-plane.js";
import type { FakeWorkerSocket } from "./testing/fake-worker-socket.js";
import type { InboundMessage } from "./worker-connection.js";
import { WorkerConnection } from "./worker-connection.js";

const MASTER = "m".repeat(40);

function job(jobId: number, slug = "blog"): JobPayload {
  return {
    job_id: jobId,
    type: "deploy",
    app: { id: 3, slug, name: slug },
    deploy: {
      deployment_id: 9,
      image: `localhost/${slug}:9`,
      source: { kind: "image" },
      env: { PORT: "8080" },
      cpu_millicores: 500,
      memory_mb: 256,
      internal_port: 8080,
      host_port: 20001,
      network: "wisehosting",
    },
  };
}

describe("WorkerConnection", () => {
  let cp: FakeControlPlane;
  let apiKey: string;
  const open: WorkerConnection[] = [];

  beforeEach(async () => {
    cp = await FakeControlPlane.start({ masterSecret: MASTER, heartbeatIntervalS: 30, statsIntervalS: 10 });
    apiKey = generateApiKey();
    cp.addWorker("worker-1", apiKey);
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.terminate()));
    await cp.close();
  });

  async function connect(): Promise<{ conn: WorkerConnection; socket: FakeWorkerSocket }> {
    const conn = await WorkerConnection.connect({ baseUrl: cp.baseUrl, token: apiKey, apiKey });
    open.push(conn);
    return { conn, socket: await cp.nextSocket() };
  }

  it("connects, verifies the hello and exposes conn_id and the hello payload", async () => {
    const { conn, socket } = await connect();
    expect(conn.connId).toBe(socket.connId);
    expect(conn.connId).toMatch(/^[0-9a-f]{32}$/);
    expect(conn.helloPayload).toMatchObject({ worker_id: 1, heartbeat_interval_s: 30, stats_interval_s: 10 });
    expect(conn.isOpen).toBe(true);
    expect(conn.codec.lastSeq).toBe(0); // nothing sent before or with hello
  });

  it("rejects a hello signed with the wrong key and closes with 1008", async () => {
    await cp.close();
    cp = await FakeControlPlane.start({ masterSecret: MASTER, helloKey: envelopeKey(generateApiKey()) });
    cp.addWorker("worker-1", apiKey);
    const attempt = WorkerConnection.connect({ baseUrl: cp.baseUrl, token: apiKey, apiKey });
    await expect(attempt).rejects.toBeInstanceOf(WorkerConnectError);
    await expect(attempt).rejects.toMatchObject({ code: "bad_hello" });
    await expect(attempt).rejects.toThrow(/bad_signature/);
    const socket = await cp.nextSocket();
    expect((await socket.closed).code).toBe(1008);
  });

  it("rejects a refused upgrade with the HTTP status and the error code", async () => {
    const attempt = WorkerConnection.connect({ baseUrl: cp.baseUrl, token: "wrong", apiKey });
    await expect(attempt).rejects.toBeInstanceOf(WorkerHttpError);
    await expect(attempt).rejects.toMatchObject({ status: 401, code: "unauthorized" });
  });

  it("fails with connect_failed when nothing listens", async () => {
    const baseUrl = "http://127.0.0.1:1"; // nothing listens on port 1
    await expect(WorkerConnection.connect({ baseUrl, token: apiKey, apiKey })).rejects.toMatchObject({
      code: "connect_failed",
    });
  });

  it("sends envelopes the server codec accepts, with seq 1, 2, 3 and reply_to", async () => {
    const { conn, socket } = await connect();
    expect(conn.send("job_status", { job_id: 42, status: "processing" })).toBe(1);
    expect(conn.send("build_log", { job_id: 42, logs: "step 1\n" })).toBe(2);
    expect(conn.send("job_result", { job_id: 42, success: true, container_id: "abc" }, 7)).toBe(3);
    const status = await socket.waitFor("job_status");
    const log = await socket.waitFor("build_log");
    const result = await socket.waitFor("job_result");
    expect([status.env.seq, log.env.seq, result.env.seq]).toEqual([1, 2, 3]);
    expect(result.env.reply_to).toBe(7);
    expect(result.payload).toEqual({ job_id: 42, success: true, error: null, logs: "", container_id: "abc" });
    expect(socket.frames.every((f) => "env" in f.result)).toBe(true);
  });

  it("waitFor resolves with the matching message, whether it came before or after the call", async () => {
    const { conn, socket } = await connect();
    socket.send("job", job(1));
    const early = await conn.waitFor("job");
    expect(early.payload.job_id).toBe(1);

    const second = conn.waitFor("job", (m) => m.payload.job_id === 3);
    socket.send("job", job(2));
    socket.send("error", { code: "replay", message: "seq 1 was already seen" }, 5);
    socket.send("job", job(3));
    expect((await second).payload.job_id).toBe(3);
    // job 2 was not claimed, so it is still there; the error too.
    expect((await conn.waitFor("job")).payload.job_id).toBe(2);
    expect(await conn.waitFor("error")).toMatchObject({ payload: { code: "replay" }, env: { reply_to: 5 } });
    await expect(conn.waitFor("job", undefined, 50)).rejects.toBeInstanceOf(WaitTimeoutError);
  });

  it("emits every verified message as a 'message' event", async () => {
    const { conn, socket } = await connect();
    const seen: InboundMessage[] = [];
    conn.on("message", (m) => seen.push(m));
    socket.send("job", job(1));
    socket.send("error", { code: "not_found", message: "no such job" });
    await conn.waitFor("error");
    expect(seen.map((m) => [m.type, m.env.seq])).toEqual([
      ["job", 2],
      ["error", 3],
    ]);
  });

  it("turns a bad signature into a fatal protocolError and closes with 1008", async () => {
    const { conn, socket } = await connect();
    const errors: DecodeFailure[] = [];
    conn.on("protocolError", (e) => errors.push(e));
    const forged = signEnvelope(envelopeKey(generateApiKey()), socket.connId, {
      type: "job",
      seq: 2,
      ts: Date.now(),
      reply_to: null,
      payload: JSON.stringify(job(1)),
    });
    socket.sendRaw(JSON.stringify(forged));
    const closed = await conn.closed;
    expect(errors).toEqual([expect.objectContaining({ code: "bad_signature", fatal: true, replyTo: 2 })]);
    expect(closed.code).toBe(1008);
    expect((await socket.closed).code).toBe(1008);
    expect(() => conn.send("heartbeat", heartbeat())).toThrow(ConnectionClosedError);
  });

  it("reports clock skew, replays and binary frames without closing", async () => {
    const { conn, socket } = await connect();
    const errors: DecodeFailure[] = [];
    conn.on("protocolError", (e) => errors.push(e));
    const sign = (seq: number, ts: number) =>
      JSON.stringify(
        signEnvelope(socket.key, socket.connId, {
          type: "job",
          seq,
          ts,
          reply_to: null,
          payload: JSON.stringify(job(seq)),
        }),
      );
    socket.sendRaw(sign(2, Date.now() - 120_000));
    const ok = sign(3, Date.now());
    socket.sendRaw(ok);
    socket.sendRaw(ok);
    socket.ws.send(Buffer.from("{}"), { binary: true });
    socket.send("error", { code: "sentinel", message: "" }, null);
    await conn.waitFor("error");
    expect(errors.map((e) => e.code)).toEqual(["clock_skew", "replay", "bad_envelope"]);
    expect((await conn.waitFor("job")).payload.job_id).toBe(3);
    expect(conn.isOpen).toBe(true);
  });

  it("signed() crafts envelopes with chosen fields for this connection", async () => {
    const { conn, socket } = await connect();
    conn.sendRaw(
      conn.signed({ type: "violation", seq: 5, payload: { app_id: 3, reason: "memory limit exceeded" } }),
    );
    const v = await socket.waitFor("violation");
    expect(v.env.seq).toBe(5);
    expect(conn.codec.lastSeq).toBe(0);
    conn.sendRaw(
      conn.signed({ type: "violation", seq: 6, payload: "{}", key: envelopeKey(generateApiKey()) }),
    );
    expect(await socket.waitForFailure()).toMatchObject({ code: "bad_signature", replyTo: 6 });
  });

  it("close() resolves closed and rejects pending waits", async () => {
    const { conn, socket } = await connect();
    const pending = conn.waitFor("job");
    const closedEvent = new Promise((resolve) => conn.once("close", resolve));
    expect(await conn.close(1000, "bye")).toEqual({ code: 1000, reason: "bye" });
    await expect(pending).rejects.toBeInstanceOf(ConnectionClosedError);
    await expect(conn.waitFor("job")).rejects.toBeInstanceOf(ConnectionClosedError);
    expect(await closedEvent).toEqual({ code: 1000, reason: "bye" });
    expect((await socket.closed).code).toBe(1000);
  });
});

describe("WorkerConnection against a bare WebSocketServer", () => {
  it("delivers frames sent in the same tick as hello to listeners attached after connect", async () => {
    const apiKey = generateApiKey();
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await new Promise((resolve) => wss.once("listening", resolve));
    wss.on("connection", (ws) => {
      const codec = new EnvelopeCodec({
        key: envelopeKey(apiKey),
        connId: generateConnId(),
        inbound: workerMessageSchemas,
        outbound: serverMessageSchemas,
      });
      const hello = {
        conn_id: codec.connId,
        worker_id: 7,
        server_time: Date.now(),
        heartbeat_interval_s: 30,
        stats_interval_s: 10,
      };
      ws.send(codec.encode("hello", hello));
      ws.send(codec.encode("job", job(1)));
      ws.send(codec.encode("job", job(2)));
    });
    try {
      const { port } = wss.address() as AddressInfo;
      const conn = await WorkerConnection.connect({
        baseUrl: `http://127.0.0.1:${port}/`,
        token: "t",
        apiKey,
      });
      const ids: number[] = [];
      const both = new Promise<void>((resolve) =>
        conn.on("message", (m) => {
          if (m.type === "job") ids.push(m.payload.job_id);
          if (ids.length === 2) resolve();
        }),
      );
      await both;
      expect(ids).toEqual([1, 2]);
      expect(conn.helloPayload.worker_id).toBe(7);
      await conn.close();
    } finally {
      await new Promise((resolve) => wss.close(resolve));
    }
  });
});

function heartbeat() {
  return {
    cpu_pct: 1,
    mem_used_mb: 1,
    mem_total_mb: 2,
    disk_used_mb: 1,
    disk_total_mb: 2,
    running_apps: 0,
    agent_version: "1",
    uptime_s: 1,
  };
}
