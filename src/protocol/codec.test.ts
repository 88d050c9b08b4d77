import { randomBytes } from "node:crypto";

import { describe, expect, it } from "vitest";

import { envelopeKey, generateApiKey } from "../crypto/api-key.js";
import { EnvelopeCodec, peekHelloConnId } from "./codec.js";
import type { Envelope, UnsignedEnvelope } from "./envelope.js";
import { generateConnId, signEnvelope } from "./envelope.js";
import { MAX_CLOCK_SKEW_MS } from "./errors.js";
import { serverMessageSchemas, workerMessageSchemas } from "./messages.js";

const key = envelopeKey(generateApiKey());
const connId = generateConnId();
const T0 = 1_764_418_500_000;

function setup(options: { agentClock?: number } = {}) {
  let now = T0;
  const clock = () => now;
  const server = new EnvelopeCodec({
    key,
    connId,
    inbound: workerMessageSchemas,
    outbound: serverMessageSchemas,
    now: clock,
  });
  const agent = new EnvelopeCodec({
    key,
    connId,
    inbound: serverMessageSchemas,
    outbound: workerMessageSchemas,
    now: () => now + (options.agentClock ?? 0),
  });
  return { server, agent, advance: (ms: number) => (now += ms) };
}

/** A frame signed by hand, for the cases a well-behaved codec never produces. */
function frame(fields: Partial<UnsignedEnvelope>, signKey: Buffer = key): string {
  const env: Envelope = signEnvelope(signKey, connId, {
    type: "job_status",
    seq: 1,
    ts: T0,
    reply_to: null,
    payload: '{"job_id":42,"status":"processing"}',
    ...fields,
  });
  return JSON.stringify(env);
}

describe("EnvelopeCodec", () => {
  it("encodes with seqs from 1, and decodes to a typed message", () => {
    const { server, agent } = setup();
    const first = agent.encode("job_status", { job_id: 42, status: "processing" });
    const second = agent.encode("build_log", { job_id: 42, logs: "step 1" }, 5);
    expect(JSON.parse(first)).toMatchObject({ seq: 1, ts: T0, reply_to: null });
    expect(JSON.parse(second)).toMatchObject({
      seq: 2,
      reply_to: 5,
      payload: '{"job_id":42,"logs":"step 1"}',
    });
    expect(agent.lastSeq).toBe(2);

    const decoded = server.decode(first);
    expect(decoded).toMatchObject({
      ok: true,
      type: "job_status",
      payload: { job_id: 42, status: "processing" },
    });
    if (decoded.ok && decoded.type === "job_status") expect(decoded.env.seq).toBe(1);
    expect(server.decode(second)).toMatchObject({ ok: true, type: "build_log" });
  });

  it("1. bad_envelope, with the seq when it can be read", () => {
    const { server } = setup();
    expect(server.decode("not json")).toMatchObject({
      ok: false,
      code: "bad_envelope",
      replyTo: null,
      fatal: false,
    });
    const extra = JSON.stringify({ ...(JSON.parse(frame({ seq: 4 })) as object), extra: true });
    expect(server.decode(extra)).toMatchObject({ ok: false, code: "bad_envelope", replyTo: 4 });
  });

  it("2. bad_signature is fatal, and comes before clock_skew and replay", () => {
    const { server } = setup();
    const forged = frame({ seq: 3, ts: T0 + 10 * MAX_CLOCK_SKEW_MS }, randomBytes(32));
    expect(server.decode(forged)).toMatchObject({
      ok: false,
      code: "bad_signature",
      replyTo: 3,
      fatal: true,
    });
    const tampered = JSON.stringify({ ...(JSON.parse(frame({ seq: 4 })) as object), payload: "{}" });
    expect(server.decode(tampered)).toMatchObject({ code: "bad_signature", fatal: true });
    const otherConn = new EnvelopeCodec({
      key,
      connId: generateConnId(),
      inbound: workerMessageSchemas,
      outbound: serverMessageSchemas,
      now: () => T0,
    });
    expect(otherConn.decode(frame({ seq: 5 }))).toMatchObject({ code: "bad_signature" });
  });

  it("3. clock_skew beyond 60 s either way, before replay, without consuming the seq", () => {
    const { server } = setup();
    expect(server.decode(frame({ seq: 1, ts: T0 + MAX_CLOCK_SKEW_MS }))).toMatchObject({ ok: true });
    expect(server.decode(frame({ seq: 1, ts: T0 + MAX_CLOCK_SKEW_MS + 1 }))).toMatchObject({
      code: "clock_skew",
      replyTo: 1,
      fatal: false,
    });
    expect(server.decode(frame({ seq: 2, ts: T0 - MAX_CLOCK_SKEW_MS - 1 }))).toMatchObject({
      code: "clock_skew",
    });
    expect(server.decode(frame({ seq: 2, ts: T0 - MAX_CLOCK_SKEW_MS }))).toMatchObject({ ok: true });
  });

  it("3. follows the injected clocks of both sides", () => {
    const late = setup();
    const delayed = late.agent.encode("violation", { app_id: 3, reason: "memory limit exceeded" });
    late.advance(MAX_CLOCK_SKEW_MS + 1);
    expect(late.server.decode(delayed)).toMatchObject({ ok: false, code: "clock_skew" });

    const behind = setup({ agentClock: -2 * MAX_CLOCK_SKEW_MS });
    const text = behind.agent.encode("violation", { app_id: 3, reason: "memory limit exceeded" });
    expect(JSON.parse(text)).toMatchObject({ ts: T0 - 2 * MAX_CLOCK_SKEW_MS });
    expect(behind.server.decode(text)).toMatchObject({ ok: false, code: "clock_skew" });
  });

  it("4. replay for a repeated or too-old seq, before unknown_type", () => {
    const { server, agent } = setup();
    const text = agent.encode("job_status", { job_id: 42, status: "processing" });
    expect(server.decode(text)).toMatchObject({ ok: true });
    expect(server.decode(text)).toMatchObject({ ok: false, code: "replay", replyTo: 1, fatal: false });
    expect(server.decode(frame({ seq: 300 }))).toMatchObject({ ok: true });
    expect(server.decode(frame({ seq: 44, type: "nonsense" }))).toMatchObject({
      code: "replay",
      replyTo: 44,
    });
  });

  it("5. unknown_type before bad_payload, including the other direction's types", () => {
    const { server } = setup();
    expect(server.decode(frame({ seq: 1, type: "hello", payload: "garbage" }))).toMatchObject({
      code: "unknown_type",
      replyTo: 1,
    });
    expect(server.decode(frame({ seq: 2, type: "constructor" }))).toMatchObject({ code: "unknown_type" });
  });

  it("6. bad_payload when the payload is not JSON or does not match", () => {
    const { server } = setup();
    expect(server.decode(frame({ seq: 1, payload: "{" }))).toMatchObject({ code: "bad_payload", replyTo: 1 });
    expect(server.decode(frame({ seq: 2, payload: '{"job_id":42,"status":"done"}' }))).toMatchObject({
      code: "bad_payload",
      fatal: false,
    });
  });

  it("lets the agent bootstrap from hello: peek conn_id, then verify the same frame", () => {
    const serverConn = generateConnId();
    const server = new EnvelopeCodec({
      key,
      connId: serverConn,
      inbound: workerMessageSchemas,
      outbound: serverMessageSchemas,
      now: () => T0,
    });
    const hello = server.encode("hello", {
      conn_id: serverConn,
      worker_id: 7,
      server_time: T0,
      heartbeat_interval_s: 30,
      stats_interval_s: 10,
    });
    const peeked = peekHelloConnId(hello);
    expect(peeked).toBe(serverConn);
    const agent = new EnvelopeCodec({
      key,
      connId: peeked ?? "",
      inbound: serverMessageSchemas,
      outbound: workerMessageSchemas,
      now: () => T0,
    });
    expect(agent.decode(hello)).toMatchObject({ ok: true, type: "hello", payload: { worker_id: 7 } });
    expect(peekHelloConnId(server.encode("error", { code: "replay", message: "x" }))).toBeNull();
    expect(peekHelloConnId("{}")).toBeNull();
  });
});
