import type { Kysely } from "kysely";
import type { SecretBox } from "../crypto/aes.js";
import type { DB } from "../db/schema.js";
import type { JobPayload } from "../protocol/messages-server.js";

/** The Podman network every app container joins (spec §4). */
export const APP_NETWORK = "wisehosting";

/** AAD binding an app's sealed env vars to that app. */
export function appEnvAad(appId: number): string {
  return `app-env:${appId}`;
}

/**
 * `internal_port` as spec §4 and the reference's internalPort say: the PORT
 * env value if it parses as a port number, else 8080.
 */
export function internalPort(env: Readonly<Record<string, string>>): number {
  const raw = env.PORT;
  if (raw !== undefined && /^\d{1,5}$/.test(raw.trim())) {
    const n = Number(raw.trim());
    if (n >= 1 && n <= 65535) return n;
  }
  return 8080;
}

/**
 * Builds the `job` payload for one job from the database: the job, its app
 * and, for deploys, the deployment with its env (decrypted here, sent only
 * over the signed connection). Undefined when the job or its app is gone or a
 * deploy lacks its deployment or placement.
 */
export async function loadJobPayload(
  db: Kysely<DB>,
  secretBox: SecretBox,
  jobId: number,
): Promise<JobPayload | undefined> {
  const row = await db
    .selectFrom("jobs as j")
    .innerJoin("apps as a", "a.id", "j.app_id")
    .leftJoin("deployments as d", "d.id", "j.deployment_id")
    .select([
      "j.id as job_id",
      "j.type",
      "j.host_port as job_host_port",
      "j.deployment_id",
      "a.id as app_id",
      "a.slug",
      "a.name",
      "d.image",
      "d.source_kind",
      "d.env_enc",
      "d.cpu_millicores",
      "d.memory_mb",
      "d.host_port",
    ])
    .where("j.id", "=", jobId)
    .executeTakeFirst();
  if (!row) return undefined;
  const app = { id: row.app_id, slug: row.slug, name: row.name };
  switch (row.type) {
    case "deploy": {
      const hostPort = row.host_port ?? row.job_host_port;
      if (row.deployment_id === null || !row.image || !row.source_kind || !hostPort) return undefined;
      const env = row.env_enc
        ? (JSON.parse(secretBox.openString(row.env_enc, appEnvAad(row.app_id))) as Record<string, string>)
        : {};
      return {
        job_id: row.job_id,
        type: "deploy",
        app,
        deploy: {
          deployment_id: row.deployment_id,
          image: row.image,
          source:
            row.source_kind === "archive"
              ? { kind: "archive", url: `/v1/workers/artifacts/${row.deployment_id}` }
              : { kind: "image" },
          env,
          cpu_millicores: row.cpu_millicores ?? 1,
          memory_mb: row.memory_mb ?? 1,
          internal_port: internalPort(env),
          host_port: hostPort,
          network: APP_NETWORK,
        },
      };
    }
    case "restart":
      return { job_id: row.job_id, type: "restart", app };
    case "stop":
    case "delete":
      return {
        job_id: row.job_id,
        type: row.type,
        app,
        ...(row.deployment_id !== null ? { deployment_id: row.deployment_id } : {}),
      };
  }
}
