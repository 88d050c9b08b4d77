/** Deployment statuses after which its build log no longer grows (src/web/build-log-stream.ts). */
const FINAL = new Set(["running", "failed", "superseded", "stopped"]);

export function isDeploymentFinal(status: string): boolean {
  return FINAL.has(status);
}
