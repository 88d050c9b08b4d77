import { expect, it } from "vitest";
import { withTxRetry } from "./tx-retry.js";

it("retries 40001 and 40P01 with jittered exponential backoff, and nothing else", async () => {
  const waits: number[] = [];
  const codes: string[] = [];
  let calls = 0;
  const result = await withTxRetry(
    () => {
      calls++;
      if (calls === 1) return Promise.reject(Object.assign(new Error("s"), { code: "40001" }));
      if (calls === 2) return Promise.reject(Object.assign(new Error("d"), { code: "40P01" }));
      return Promise.resolve("ok");
    },
    {
      random: () => 0.5,
      baseDelayMs: 10,
      sleep: (ms) => (waits.push(ms), Promise.resolve()),
      onRetry: (_, c) => codes.push(c),
    },
  );
  expect(result).toBe("ok");
  expect(waits).toEqual([5, 10]);
  expect(codes).toEqual(["40001", "40P01"]);
  await expect(
    withTxRetry(() => Promise.reject(Object.assign(new Error("unique"), { code: "23505" })), {
      sleep: () => Promise.resolve(),
    }),
  ).rejects.toThrow("unique");
  let n = 0;
  await expect(
    withTxRetry(() => (n++, Promise.reject(Object.assign(new Error("again"), { code: "40001" }))), {
      attempts: 3,
      sleep: () => Promise.resolve(),
    }),
  ).rejects.toThrow("again");
  expect(n).toBe(3);
});
