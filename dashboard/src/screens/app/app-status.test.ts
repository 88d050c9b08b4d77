import { describe, expect, it } from "vitest";
import { availableActions, redeployNeedsDeployment, redeployPlan } from "./app-status";

const worker = { id: 1, name: "w1" };

describe("the actions an app's status allows", () => {
  it("offers what the API accepts for each status", () => {
    const a = (status: string, placed = true, current: number | null = 7) =>
      availableActions({ status, worker: placed ? worker : null, current_deployment_id: current });
    expect(a("running")).toEqual(["restart", "stop"]);
    expect(a("crashed")).toEqual(["restart", "stop", "start"]);
    expect(a("stopped")).toEqual(["start"]);
    expect(a("failed", false)).toEqual(["start"]);
    expect(a("failed", false, null)).toEqual([]);
    expect(a("created", false, null)).toEqual([]);
    expect(a("deploying")).toEqual(["stop"]);
    expect(a("deleting")).toEqual([]);
  });
});

describe("redeployPlan", () => {
  const app = (status: string, current: number | null = 3) => ({ status, current_deployment_id: current });
  it("needs the current deployment only for a deployed app that is neither startable nor gone", () => {
    expect(redeployNeedsDeployment(app("running"))).toBe(true);
    expect(redeployNeedsDeployment(app("deploying"))).toBe(true);
    for (const s of ["stopped", "failed", "crashed", "deleting", "deleted"]) {
      expect(redeployNeedsDeployment(app(s)), s).toBe(false);
    }
    expect(redeployNeedsDeployment(app("running", null))).toBe(false);
  });

  it("starts a stopped, failed or crashed app, whatever its source", () => {
    for (const s of ["stopped", "failed", "crashed"]) {
      expect(redeployPlan(app(s), { source_kind: "archive", image: "wisehosting/x:3" })).toEqual({
        kind: "start",
      });
    }
  });

  it("deploys a running app's current image again, or sends a built one to the CLI", () => {
    expect(redeployPlan(app("running"), { source_kind: "image", image: "nginx:1.27" })).toEqual({
      kind: "image",
      image: "nginx:1.27",
    });
    expect(redeployPlan(app("running"), { source_kind: "archive", image: "wisehosting/x:3" })).toEqual({
      kind: "cli",
    });
  });

  it("has nothing to redeploy before the first deployment or while deleting", () => {
    expect(redeployPlan(app("created", null), undefined).kind).toBe("none");
    expect(redeployPlan(app("deleting"), { source_kind: "image", image: "x" }).kind).toBe("none");
    expect(redeployPlan(app("running"), undefined).kind).toBe("none");
  });
});
