import { act, renderHook } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { ApiError } from "../api/client";
import { useAction } from "./use-action";

describe("useAction", () => {
  it("tracks pending, keeps the API error and places it on the field it names", async () => {
    let fail: (e: unknown) => void = () => undefined;
    const { result } = renderHook(() =>
      useAction(() => new Promise<string>((_resolve, reject) => (fail = reject))),
    );
    let done: Promise<string | undefined> = Promise.resolve(undefined);
    act(() => {
      done = result.current.run();
    });
    expect(result.current.pending).toBe(true);
    await act(async () => {
      fail(new ApiError(400, "invalid_request", "env.FOO: too long", "env.FOO"));
      await done;
    });
    expect(result.current.pending).toBe(false);
    expect(result.current.fieldError("env")).toBe("env.FOO: too long");
    expect(result.current.fieldError("name")).toBeUndefined();
    act(() => {
      done = result.current.run();
    });
    await act(async () => {
      fail(new ApiError(400, "invalid_request", "name: too long", "name"));
      await done;
    });
    expect(result.current.fieldError("name")).toBe("too long");
    act(() => {
      done = result.current.run();
    });
    await act(async () => {
      fail(new ApiError(400, "invalid_request", "env.FOO: too long", "env.FOO"));
      await done;
    });
    // The form shows it beside the field, so not again above the form...
    expect(result.current.formError(["name", "env"])).toBeUndefined();
    // ...but a form without that field shows it above.
    expect(result.current.formError(["name"])).toBe("env.FOO: too long");
    act(() => result.current.reset());
    expect(result.current.error).toBeUndefined();
  });

  it("ignores a second run while the first is pending (double click)", async () => {
    let calls = 0;
    let finish: (v: number) => void = () => undefined;
    const { result } = renderHook(() =>
      useAction(() => {
        calls++;
        return new Promise<number>((r) => (finish = r));
      }),
    );
    let first: Promise<number | undefined> = Promise.resolve(undefined);
    let second: Promise<number | undefined> = Promise.resolve(undefined);
    act(() => {
      first = result.current.run();
      second = result.current.run();
    });
    await act(async () => {
      finish(42);
      expect(await first).toBe(42);
      expect(await second).toBeUndefined();
    });
    expect(calls).toBe(1);
  });

  it("wraps a non-API failure so the form still says something", async () => {
    const { result } = renderHook(() => useAction(() => Promise.reject(new Error("boom"))));
    await act(async () => {
      await result.current.run();
    });
    expect(result.current.error?.message).toBe("boom");
    expect(result.current.formError([])).toBe("boom");
  });
});
