import { describe, expect, it } from "vitest";
import { isDeploymentFinal } from "./deployment-status";

describe("deployment statuses", () => {
  it("knows which statuses end a build log", () => {
    expect(["running", "failed", "superseded", "stopped"].every(isDeploymentFinal)).toBe(true);
    expect(["pending", "building", "deploying"].some(isDeploymentFinal)).toBe(false);
  });
});
