/**
 * The shapes of the apps area (apps, deployments, live stats), written to
 * match the server's zod schemas in src/web/routes/deployment-routes.ts and
 * usage-routes.ts.
 */

export interface Deployment {
  id: number;
  /** The app's slug. */
  app: string;
  /** pending, building, deploying, running, failed, superseded or stopped (typed as string: a newer server may add one). */
  status: string;
  source_kind: "image" | "archive";
  /** The image deployed, or (archive) the image built from the uploaded context. */
  image: string;
  commit_sha: string | null;
  commit_message: string | null;
  error: string | null;
  worker: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface DeploymentResponse {
  deployment: Deployment;
}

export interface DeploymentDetail {
  deployment: Deployment;
  build_log: string;
}

/**
 * An app's live resource usage as its worker last reported it. `cpu_pct` is
 * a percentage of one CPU (an app with 500 millicores tops out near 50).
 */
export interface LiveStats {
  cpu_pct: number;
  mem_bytes: number;
  mem_limit: number;
  net_mbps: number;
  net_total_bytes: number;
  disk_mbps: number;
  updated_at: string;
}

/** GET /apps-stats: apps without fresh stats are left out. */
export interface AppsStatsResponse {
  stats: Record<string, LiveStats>;
}

/** The `end` event of a build log stream. */
export interface BuildLogEnd {
  status: string | null;
  error: string | null;
}

export interface JobResponse {
  job_id: number;
}
