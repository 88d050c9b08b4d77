import { z } from "zod";

import { epochMs, id, nonEmpty, port, positiveInt } from "./schema-parts.js";

/**
 * Payloads the server sends to a worker (worker protocol §4). Unknown fields
 * are stripped, except where a field's absence is part of the contract (see
 * `jobPayload`).
 */

export const helloPayload = z.object({
  conn_id: z.string().regex(/^[0-9a-f]{32}$/),
  worker_id: id,
  server_time: epochMs,
  heartbeat_interval_s: positiveInt,
  stats_interval_s: positiveInt,
});

export const jobSource = z.discriminatedUnion("kind", [
  /** Run `image` as it is; a `url`, if sent, is ignored. */
  z.object({ kind: z.literal("image"), url: z.string().optional() }),
  /** Download the build context from `url` (on the control plane, with the worker's JWT) and build it as `image`. */
  z.object({ kind: z.literal("archive"), url: nonEmpty }),
]);

export const deploySpec = z.object({
  deployment_id: id,
  image: nonEmpty,
  source: jobSource,
  env: z.record(z.string(), z.string()),
  cpu_millicores: positiveInt,
  memory_mb: positiveInt,
  internal_port: port,
  host_port: port,
  network: nonEmpty,
});

const jobApp = z.object({ id, slug: nonEmpty, name: nonEmpty });

/** Present only where the spec allows it; elsewhere the field must be absent. */
const absent = z.undefined().optional();

/**
 * `deploy` is present exactly when `type` is "deploy"; a top-level
 * `deployment_id` (retire one deployment's container rather than the whole
 * app) only on "stop" and "delete". Anything else is `bad_payload`.
 */
export const jobPayload = z.discriminatedUnion("type", [
  z.object({ job_id: id, type: z.literal("deploy"), app: jobApp, deploy: deploySpec, deployment_id: absent }),
  z.object({ job_id: id, type: z.literal("restart"), app: jobApp, deploy: absent, deployment_id: absent }),
  z.object({
    job_id: id,
    type: z.enum(["stop", "delete"]),
    app: jobApp,
    deploy: absent,
    deployment_id: id.optional(),
  }),
]);

export const errorPayload = z.object({
  code: nonEmpty,
  message: z.string(),
});

export const JOB_TYPES = ["deploy", "restart", "stop", "delete"] as const;
export type JobType = (typeof JOB_TYPES)[number];

export type HelloPayload = z.infer<typeof helloPayload>;
export type JobSource = z.infer<typeof jobSource>;
export type DeploySpec = z.infer<typeof deploySpec>;
export type JobPayload = z.infer<typeof jobPayload>;
export type ErrorPayload = z.infer<typeof errorPayload>;
