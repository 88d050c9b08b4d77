import { act, renderHook } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { useApi } from "./use-api";

/** A fetch stub whose answers the test releases one by one. */
function controlledFetch() {
  const calls: { url: string; resolve: (body: unknown) => void; signal: AbortSignal | undefined }[] = [];
  const fetch = vi.fn(
    (url: string, init?: RequestInit) =>
      new Promise<Response>((resolve) => {
        calls.push({
          url,
          signal: init?.signal ?? undefined,
          resolve: (body) => resolve(new Response(JSON.stringify(body), { status: 200 })),
        });
      }),
  );
  return { fetch, calls };
}

function setVisibility(state: "visible" | "hidden") {
  Object.defineProperty(document, "visibilityState", { value: state, configurable: true });
  document.dispatchEvent(new Event("visibilitychange"));
}

/** Lets resolved promises and React updates run. */
const settle = () => act(async () => {});

describe("useApi", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    setVisibility("visible");
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it("a new refreshMs applies from the next answer without a request of its own", async () => {
    const f = controlledFetch();
    vi.stubGlobal("fetch", f.fetch);
    const { rerender } = renderHook(({ ms }) => useApi<{ n: number }>("/apps", { refreshMs: ms }), {
      initialProps: { ms: 5000 },
    });
    f.calls[0]!.resolve({ n: 1 });
    await settle();
    rerender({ ms: 1000 });
    await settle();
    expect(f.calls).toHaveLength(1);
    // The refresh already scheduled keeps its 5 s; the one after it takes 1 s.
    await act(() => vi.advanceTimersByTimeAsync(5000));
    expect(f.calls).toHaveLength(2);
    f.calls[1]!.resolve({ n: 2 });
    await settle();
    await act(() => vi.advanceTimersByTimeAsync(1000));
    expect(f.calls).toHaveLength(3);
  });

  it("refreshes refreshMs after each answer, never while the previous request is pending", async () => {
    const f = controlledFetch();
    vi.stubGlobal("fetch", f.fetch);
    const { result } = renderHook(() => useApi<{ n: number }>("/apps", { refreshMs: 5000 }));
    expect(result.current.loading).toBe(true);
    expect(f.calls).toHaveLength(1);
    // A slow answer: no second request, and the first is not aborted, however long it takes.
    await act(() => vi.advanceTimersByTimeAsync(20_000));
    expect(f.calls).toHaveLength(1);
    expect(f.calls[0]!.signal?.aborted).toBe(false);
    f.calls[0]!.resolve({ n: 1 });
    await settle();
    expect(result.current.data).toEqual({ n: 1 });
    expect(result.current.loading).toBe(false);
    await act(() => vi.advanceTimersByTimeAsync(4999));
    expect(f.calls).toHaveLength(1);
    await act(() => vi.advanceTimersByTimeAsync(1));
    expect(f.calls).toHaveLength(2);
    f.calls[1]!.resolve({ n: 2 });
    await settle();
    expect(result.current.data).toEqual({ n: 2 });
  });

  it("sends nothing while the tab is hidden and refreshes as soon as it is shown", async () => {
    const f = controlledFetch();
    vi.stubGlobal("fetch", f.fetch);
    renderHook(() => useApi("/apps-stats", { refreshMs: 5000 }));
    f.calls[0]!.resolve({});
    await settle();
    setVisibility("hidden");
    await act(() => vi.advanceTimersByTimeAsync(60_000));
    expect(f.calls).toHaveLength(1);
    act(() => setVisibility("visible"));
    expect(f.calls).toHaveLength(2);
  });

  it("never returns the previous path's data after the path changes, and aborts its request", async () => {
    const f = controlledFetch();
    vi.stubGlobal("fetch", f.fetch);
    const { result, rerender } = renderHook(({ p }) => useApi<{ range: string }>(p), {
      initialProps: { p: "/apps/a/usage?range=24h" },
    });
    f.calls[0]!.resolve({ range: "24h" });
    await settle();
    expect(result.current.data).toEqual({ range: "24h" });
    rerender({ p: "/apps/a/usage?range=7d" });
    expect(result.current.data).toBeUndefined();
    expect(result.current.loading).toBe(true);
    rerender({ p: "/apps/a/usage?range=90d" });
    expect(f.calls[1]!.signal?.aborted).toBe(true);
    f.calls[2]!.resolve({ range: "90d" });
    await settle();
    expect(result.current.data).toEqual({ range: "90d" });
  });

  it("keeps the last good data when a refresh fails, with the error beside it", async () => {
    const f = controlledFetch();
    vi.stubGlobal("fetch", f.fetch);
    const { result } = renderHook(() => useApi<{ ok: boolean }>("/apps", { refreshMs: 1000 }));
    f.calls[0]!.resolve({ ok: true });
    await settle();
    vi.stubGlobal(
      "fetch",
      vi.fn(() =>
        Promise.resolve(new Response('{"error":{"code":"unavailable","message":"down"}}', { status: 503 })),
      ),
    );
    await act(() => vi.advanceTimersByTimeAsync(1000));
    await settle();
    expect(result.current.data).toEqual({ ok: true });
    expect(result.current.error?.message).toBe("down");
  });
});
