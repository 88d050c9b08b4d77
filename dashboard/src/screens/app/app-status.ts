import type { Deployment } from "../../api/apps-types";
import type { App } from "../../api/types";

/**
 * What the app's status allows, mirroring the API's checks in
 * src/web/routes/app-actions.ts so only actions it would accept are offered.
 */

export type AppAction = "restart" | "stop" | "start";

/** Statuses that change by themselves soon: the app page reads the app more often meanwhile. */
const MOVING = new Set(["deploying", "deleting"]);

export function isMoving(status: string): boolean {
  return MOVING.has(status);
}

/** restart: running or crashed on a worker; stop: placed and not stopped; start: stopped, failed or crashed with a deployment. */
export function availableActions(app: Pick<App, "status" | "worker" | "current_deployment_id">): AppAction[] {
  const s = app.status;
  if (isGone(app)) return [];
  const out: AppAction[] = [];
  if (app.worker !== null && (s === "running" || s === "crashed")) out.push("restart");
  if (app.worker !== null && s !== "stopped" && s !== "created") out.push("stop");
  if (canStart(s) && app.current_deployment_id !== null) out.push("start");
  return out;
}

/**
 * How to apply changed env vars (they are copied into a deployment when it
 * is made): `start` makes a new deployment of the current one for a stopped,
 * failed or crashed app; a running app gets a new deployment of its current
 * image; a running app built from uploaded code must be deployed again with
 * the CLI (its built image cannot be deployed by name); an app that never
 * ran has nothing to redeploy.
 */
export type Redeploy =
  | { kind: "start" }
  | { kind: "image"; image: string }
  | { kind: "cli" }
  | { kind: "none"; reason: string };

/** True when redeployPlan's answer depends on the current deployment (so it is worth fetching). */
export function redeployNeedsDeployment(app: Pick<App, "status" | "current_deployment_id">): boolean {
  return !isGone(app) && app.current_deployment_id !== null && !canStart(app.status);
}

function isGone(app: Pick<App, "status">): boolean {
  return app.status === "deleting" || app.status === "deleted";
}

/** Stopped, failed or crashed: what `start` (a new deployment of the current one) applies to. */
function canStart(status: string): boolean {
  return status === "stopped" || status === "failed" || status === "crashed";
}

export function redeployPlan(
  app: Pick<App, "status" | "current_deployment_id">,
  current: Pick<Deployment, "source_kind" | "image"> | undefined,
): Redeploy {
  if (isGone(app)) {
    return { kind: "none", reason: "the app is being deleted" };
  }
  if (app.current_deployment_id === null) {
    return { kind: "none", reason: "the app has not been deployed yet: the first deployment uses them" };
  }
  if (canStart(app.status)) return { kind: "start" };
  if (!current) return { kind: "none", reason: "reading the current deployment…" };
  if (current.source_kind === "image") return { kind: "image", image: current.image };
  return { kind: "cli" };
}
