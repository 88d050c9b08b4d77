import { describe, expect, it } from "vitest";
import { checkEnvRows, envNameProblem, envValueProblem, splitAssignment } from "./env-rows";

const row = (key: number, name: string, value: string) => ({ key, name, value });

describe("the env vars editor's rows", () => {
  it("gives the map of the filled rows, trimming names but never values, skipping blank rows", () => {
    expect(
      checkEnvRows([row(1, " DATABASE_URL ", " postgres://x "), row(2, "", ""), row(3, "_EMPTY", "")]),
    ).toEqual({ ok: true, env: { DATABASE_URL: " postgres://x ", _EMPTY: "" } });
  });

  it("names each bad row's problem by its key", () => {
    const r = checkEnvRows([
      row(1, "1BAD", "x"),
      row(2, "OK", "x"),
      row(3, "OK", "y"),
      row(4, "", "value without a name"),
      row(5, "NUL", "a\0b"),
    ]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect([...r.problems.keys()]).toEqual([1, 3, 4, 5]);
    expect(r.problems.get(1)).toMatch(/start with a letter/);
    expect(r.problems.get(3)).toBe("OK is already set above");
    expect(r.problems.get(4)).toBe("give the variable a name");
    expect(r.problems.get(5)).toMatch(/NUL/);
  });

  it("checks names and value sizes like the API", () => {
    expect(envNameProblem("A_1")).toBeUndefined();
    expect(envNameProblem("a-b")).toBeDefined();
    expect(envNameProblem(`A${"b".repeat(127)}`)).toBeUndefined();
    expect(envNameProblem(`A${"b".repeat(128)}`)).toBeDefined();
    expect(envValueProblem("é".repeat(16 * 1024))).toBeUndefined();
    expect(envValueProblem(`${"é".repeat(16 * 1024)}x`)).toMatch(/32 KiB/);
  });

  it("splits a pasted NAME=value at its first '='", () => {
    expect(splitAssignment("URL=https://x/?a=b")).toEqual({ name: "URL", value: "https://x/?a=b" });
    expect(splitAssignment(" KEY =")).toEqual({ name: "KEY", value: "" });
    expect(splitAssignment("KEY")).toBeUndefined();
  });
});
