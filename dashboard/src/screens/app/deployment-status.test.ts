import { describe, expect, it } from "vitest";
import { atBottom } from "../../scroll";
import { isDeploymentFinal } from "./deployment-status";

describe("deployment log helpers", () => {
  it("knows which statuses end a build log", () => {
    expect(["running", "failed", "superseded", "stopped"].every(isDeploymentFinal)).toBe(true);
    expect(["pending", "building", "deploying"].some(isDeploymentFinal)).toBe(false);
  });

  it("follows the log only while the reader is at its bottom", () => {
    expect(atBottom({ scrollTop: 600, clientHeight: 400, scrollHeight: 1000 })).toBe(true);
    expect(atBottom({ scrollTop: 595, clientHeight: 400, scrollHeight: 1000 })).toBe(true);
    expect(atBottom({ scrollTop: 500, clientHeight: 400, scrollHeight: 1000 })).toBe(false);
    expect(atBottom({ scrollTop: 0, clientHeight: 400, scrollHeight: 300 })).toBe(true);
  });
});
