import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { findAppBySlug } from "../../src/db/apps.js";
import type { LogLine } from "../../src/logbus/log-bus.js";
import { signUp, type ApiClient } from "../helpers/api-client.js";
import { startTestControlPlane, type TestControlPlane } from "../helpers/control-plane.js";
import { unique } from "../helpers/db-fixtures.js";

let cp: TestControlPlane;
beforeAll(async () => {
  cp = await startTestControlPlane({}, { WISEHOSTING_AUTH_OPEN_SIGNUP: "true" });
});
afterAll(() => cp.stop());

interface SseEvent {
  event: string;
  data: unknown;
}

/** Reads server-sent events from a response body: `next()` resolves with the next event, or undefined at the end. */
function sseReader(res: Response) {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  const ready: SseEvent[] = [];
  return {
    async next(): Promise<SseEvent | undefined> {
      for (;;) {
        if (ready.length > 0) return ready.shift();
        const { value, done } = await reader.read();
        if (done) return undefined;
        buf += value;
        let i: number;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const event = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (event !== undefined && data !== undefined) ready.push({ event, data: JSON.parse(data) });
        }
      }
    },
    cancel: () => reader.cancel(),
  };
}

async function appFor(c: ApiClient): Promise<{ slug: string; id: number }> {
  const slug = unique("logs");
  expect((await c.post("/apps", { name: "logs", slug })).status).toBe(201);
  return { slug, id: (await findAppBySlug(cp.t.db.kysely, slug))!.id };
}

const line = (appId: number, n: number, stream: LogLine["stream"] = "stdout"): LogLine => ({
  appId,
  ts: Date.UTC(2025, 0, 1, 0, 0, n),
  stream,
  line: `line ${n}`,
});

const openLogs = (c: ApiClient, slug: string, query: string, signal?: AbortSignal) =>
  fetch(`${cp.url}/api/v1/apps/${slug}/logs?${query}`, {
    headers: { cookie: c.cookie ?? "" },
    ...(signal ? { signal } : {}),
  });

it("without follow: the last `tail` lines, then end", async () => {
  const c = await signUp(cp.url, `${unique("u")}@example.com`);
  const app = await appFor(c);
  cp.parts.logBus.publish([1, 2, 3].map((n) => line(app.id, n)));
  const res = await openLogs(c, app.slug, "tail=2");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const sse = sseReader(res);
  const events: SseEvent[] = [];
  for (let e = await sse.next(); e; e = await sse.next()) events.push(e);
  expect(events).toEqual([
    { event: "log", data: { ts: "2025-01-01T00:00:02.000Z", stream: "stdout", line: "line 2" } },
    { event: "log", data: { ts: "2025-01-01T00:00:03.000Z", stream: "stdout", line: "line 3" } },
    { event: "end", data: {} },
  ]);
});

it("follow: the tail, then live lines; leaving unsubscribes", async () => {
  const c = await signUp(cp.url, `${unique("u")}@example.com`);
  const app = await appFor(c);
  const other = await appFor(c);
  cp.parts.logBus.publish([line(app.id, 1)]);
  const unsubscribed = vi.fn();
  const subscribe = cp.parts.logBus.subscribe.bind(cp.parts.logBus);
  const spy = vi.spyOn(cp.parts.logBus, "subscribe").mockImplementation((appId, fn) => {
    const off = subscribe(appId, fn);
    return () => {
      unsubscribed(appId);
      off();
    };
  });
  try {
    const abort = new AbortController();
    const res = await openLogs(c, app.slug, "follow=1", abort.signal);
    expect(res.status).toBe(200);
    const sse = sseReader(res);
    expect(await sse.next()).toMatchObject({ event: "log", data: { line: "line 1" } });
    expect(spy).toHaveBeenCalledWith(app.id, expect.any(Function));

    // Another app's line is not delivered; this app's next line is.
    cp.parts.logBus.publish([line(other.id, 7), line(app.id, 2, "stderr")]);
    expect(await sse.next()).toEqual({
      event: "log",
      data: { ts: "2025-01-01T00:00:02.000Z", stream: "stderr", line: "line 2" },
    });
    expect(unsubscribed).not.toHaveBeenCalled();
    abort.abort();
    await sse.cancel().catch(() => undefined);
    await expect.poll(() => unsubscribed.mock.calls).toEqual([[app.id]]);
  } finally {
    spy.mockRestore();
  }
});

it("another user's app is a 404; tail is bounded", async () => {
  const owner = await signUp(cp.url, `${unique("u")}@example.com`);
  const other = await signUp(cp.url, `${unique("u")}@example.com`);
  const app = await appFor(owner);
  const res = await openLogs(other, app.slug, "tail=1");
  expect(res.status).toBe(404);
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_found");
  const anon = await fetch(`${cp.url}/api/v1/apps/${app.slug}/logs`);
  expect(anon.status).toBe(401);
  const big = await openLogs(owner, app.slug, "tail=1001");
  expect(big.status).toBe(400);
  expect(((await big.json()) as { error: { message: string } }).error.message).toMatch(/^tail: /);
});
