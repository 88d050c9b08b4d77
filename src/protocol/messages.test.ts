import { describe, expect, it } from "vitest";

import type { SchemaMap } from "./messages.js";
import { parsePayload, serverMessageSchemas, workerMessageSchemas } from "./messages.js";
import { MAX_RUNTIME_LOG_LINES } from "./messages-worker.js";

/**
 * The payload examples of worker protocol §4 and §5, verbatim. Only the
 * placeholders `<32 hex>` and `<ms>` of `hello` are filled in.
 */
const serverExamples: Record<string, string> = {
  hello:
    '{"conn_id": "0123456789abcdef0123456789abcdef", "worker_id": 7, "server_time": 1764418500123, "heartbeat_interval_s": 30, "stats_interval_s": 10}',
  job: `{"job_id": 42, "type": "deploy", "app": {"id": 3, "slug": "blog", "name": "blog"},
 "deploy": {"deployment_id": 9, "image": "localhost/blog:9", "source": {"kind": "archive", "url": "/v1/workers/artifacts/9"},
            "env": {"PORT": "8080"}, "cpu_millicores": 500, "memory_mb": 256,
            "internal_port": 8080, "host_port": 20001, "network": "wisehosting"}}`,
  error: '{"code": "replay", "message": "..."}',
};

const workerExamples: Record<string, string> = {
  heartbeat:
    '{"cpu_pct": 12.5, "mem_used_mb": 2048, "mem_total_mb": 8192, "disk_used_mb": 1000, "disk_total_mb": 50000, "running_apps": 3, "agent_version": "1.0.0", "uptime_s": 3600}',
  app_stats:
    '{"apps": [{"app_id": 3, "cpu_pct": 3.2, "mem_bytes": 1000000, "mem_limit_bytes": 268435456, "net_mbps": 0.4, "net_total_bytes": 123456, "disk_mbps": 0.0}]}',
  job_status: '{"job_id": 42, "status": "processing"}',
  job_result: '{"job_id": 42, "success": true, "error": null, "logs": "...", "container_id": "abc"}',
  app_status: '{"app_id": 3, "status": "stopped", "reason": "exited", "exit_code": 1}',
  violation: '{"app_id": 3, "reason": "memory limit exceeded"}',
  runtime_log: '{"lines": [{"app_id": 3, "ts": 1764418500123, "stream": "stdout", "line": "GET / 200"}]}',
  build_log: '{"job_id": 42, "logs": "..."}',
};

/** One obviously wrong payload per type. */
const wrong: Record<string, string> = {
  hello:
    '{"conn_id": "xyz", "worker_id": 7, "server_time": 1, "heartbeat_interval_s": 30, "stats_interval_s": 10}',
  job: '{"job_id": 42, "type": "explode", "app": {"id": 3, "slug": "blog", "name": "blog"}}',
  error: '{"message": "no code"}',
  heartbeat: '{"cpu_pct": -1}',
  app_stats: '{"apps": {}}',
  job_status: '{"job_id": 42, "status": "done"}',
  job_result: '{"job_id": 42, "success": "yes"}',
  app_status: '{"app_id": 3, "status": "sleeping"}',
  violation: '{"app_id": 0, "reason": "x"}',
  runtime_log: '{"lines": [{"app_id": 3, "ts": 1, "stream": "stdin", "line": "x"}]}',
  build_log: '{"job_id": 42}',
};

function expectAll(schemas: SchemaMap, examples: Record<string, string>): void {
  expect(Object.keys(examples).sort()).toEqual(Object.keys(schemas).sort());
  for (const [type, text] of Object.entries(examples)) {
    const result = parsePayload(schemas, type, text);
    expect(result, type).toMatchObject({ ok: true, type });
    const bad = parsePayload(schemas, type, wrong[type] ?? "");
    expect(bad, type).toMatchObject({ ok: false, code: "bad_payload" });
  }
}

describe("message catalogue", () => {
  it("accepts every server-to-worker example of the spec and rejects a wrong one", () => {
    expectAll(serverMessageSchemas, serverExamples);
  });

  it("accepts every worker-to-server example of the spec and rejects a wrong one", () => {
    expectAll(workerMessageSchemas, workerExamples);
  });

  it("checks the type before the payload", () => {
    expect(parsePayload(workerMessageSchemas, "hello", "not json")).toMatchObject({
      ok: false,
      code: "unknown_type",
    });
    for (const inherited of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
      expect(parsePayload(workerMessageSchemas, inherited, "{}")).toMatchObject({ code: "unknown_type" });
    }
    expect(parsePayload(workerMessageSchemas, "heartbeat", "{")).toMatchObject({ code: "bad_payload" });
    expect(parsePayload(workerMessageSchemas, "heartbeat", "null")).toMatchObject({ code: "bad_payload" });
  });

  it("strips unknown fields and fills job_result defaults", () => {
    const result = parsePayload(
      workerMessageSchemas,
      "job_result",
      '{"job_id": 1, "success": false, "x": 1}',
    );
    expect(result).toEqual({
      ok: true,
      type: "job_result",
      payload: { job_id: 1, success: false, error: null, logs: "", container_id: null },
    });
  });

  it("names the failing field without echoing content", () => {
    const result = parsePayload(
      workerMessageSchemas,
      "job_status",
      '{"job_id": "secret-value", "status": "processing"}',
    );
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.message).toContain("job_id");
      expect(result.message).not.toContain("secret-value");
    }
  });
});

describe("job payload", () => {
  const app = { id: 3, slug: "blog", name: "blog" };
  const deploy = (JSON.parse(serverExamples.job ?? "{}") as { deploy: object }).deploy;
  const parse = (payload: unknown) => parsePayload(serverMessageSchemas, "job", JSON.stringify(payload));

  it.each([
    ["restart", { job_id: 1, type: "restart", app }],
    ["stop of the app", { job_id: 1, type: "stop", app }],
    ["stop of one deployment", { job_id: 1, type: "stop", app, deployment_id: 9 }],
    ["delete of one deployment", { job_id: 1, type: "delete", app, deployment_id: 9 }],
    [
      "deploy of an image",
      { job_id: 1, type: "deploy", app, deploy: { ...deploy, source: { kind: "image" } } },
    ],
  ])("accepts %s", (_name, payload) => {
    expect(parse(payload)).toMatchObject({ ok: true });
  });

  it.each([
    ["deploy without deploy", { job_id: 1, type: "deploy", app }],
    ["restart with deploy", { job_id: 1, type: "restart", app, deploy }],
    ["stop with deploy", { job_id: 1, type: "stop", app, deploy }],
    ["restart with deployment_id", { job_id: 1, type: "restart", app, deployment_id: 9 }],
    ["deploy with a top-level deployment_id", { job_id: 1, type: "deploy", app, deploy, deployment_id: 9 }],
    [
      "archive without url",
      { job_id: 1, type: "deploy", app, deploy: { ...deploy, source: { kind: "archive" } } },
    ],
    [
      "an unknown source kind",
      {
        job_id: 1,
        type: "deploy",
        app,
        deploy: { ...deploy, source: { kind: "git", url: "x" } },
      },
    ],
    ["host_port 70000", { job_id: 1, type: "deploy", app, deploy: { ...deploy, host_port: 70000 } }],
  ])("rejects %s", (_name, payload) => {
    expect(parse(payload)).toMatchObject({ ok: false, code: "bad_payload" });
  });
});

describe("runtime_log", () => {
  it("accepts more than MAX_RUNTIME_LOG_LINES lines: the server truncates, it does not refuse", () => {
    const line = { app_id: 3, ts: 1, stream: "stderr", line: "x" };
    const lines = Array.from({ length: MAX_RUNTIME_LOG_LINES + 1 }, () => line);
    expect(parsePayload(workerMessageSchemas, "runtime_log", JSON.stringify({ lines }))).toMatchObject({
      ok: true,
    });
  });
});
