import type { Readable } from "node:stream";
import { z } from "zod";
import type { DeploymentView } from "../../db/deployments.js";
import { findOwnedDeploymentView, listDeploymentViews, readBuildLog } from "../../db/deployments.js";
import { InvalidRequestError, NotFoundError } from "../../errors.js";
import { MAX_ARCHIVE_BYTES, MAX_UNPACKED_BYTES, PayloadTooLargeError, receiveArchive } from "../archive.js";
import { streamBuildLog } from "../build-log-stream.js";
import {
  assertDeployable,
  commitMessageSchema,
  commitShaSchema,
  createDeployment,
  imageSchema,
  type DeploySource,
} from "../deployment-create.js";
import type { UserApiDeps } from "../deps.js";
import { findOwnedApp } from "../owned.js";
import { defineRoute, type UserRoute } from "../route.js";
import { booleanFlag, idParams, iso, isoDate, slugParams } from "../schemas.js";
import { openEventStream } from "../sse.js";

export const ARCHIVE_CONTENT_TYPES = ["application/gzip", "application/x-gzip"] as const;

export const deploymentSchema = z.object({
  id: z.number().int(),
  app: z.string(),
  status: z.string(),
  source_kind: z.enum(["image", "archive"]),
  image: z.string(),
  commit_sha: z.string().nullable(),
  commit_message: z.string().nullable(),
  error: z.string().nullable(),
  worker: z.string().nullable(),
  created_at: isoDate,
  started_at: isoDate.nullable(),
  finished_at: isoDate.nullable(),
});

export function deploymentDto(d: DeploymentView): z.infer<typeof deploymentSchema> {
  return {
    id: d.id,
    app: d.app_slug,
    status: d.status,
    source_kind: d.source_kind,
    image: d.image,
    commit_sha: d.commit_sha,
    commit_message: d.commit_message,
    error: d.error,
    worker: d.worker_name,
    created_at: iso(d.created_at),
    started_at: iso(d.started_at),
    finished_at: iso(d.finished_at),
  };
}

const imageBody = z.object({
  image: imageSchema,
  commit_sha: commitShaSchema.optional(),
  commit_message: commitMessageSchema.optional(),
});
const commitQuery = z.object({
  commit_sha: commitShaSchema.optional(),
  commit_message: commitMessageSchema.optional(),
});

export interface DeploymentRouteOptions {
  /** Largest archive upload (compressed); tests shrink it. */
  maxArchiveBytes?: number;
  /** Largest archive once gunzipped. */
  maxUnpackedBytes?: number;
  /** How often a followed build log re-reads its deployment. */
  logPollMs?: number;
}

/** Deployments: create (image or uploaded build context), list, show, build log. */
export function deploymentRoutes(deps: UserApiDeps, opts: DeploymentRouteOptions = {}): UserRoute[] {
  const { db } = deps;
  const limits = {
    maxBytes: opts.maxArchiveBytes ?? MAX_ARCHIVE_BYTES,
    maxUnpackedBytes: opts.maxUnpackedBytes ?? MAX_UNPACKED_BYTES,
  };

  async function ownedDeployment(userId: number, id: number): Promise<DeploymentView> {
    const d = await findOwnedDeploymentView(db, userId, id);
    if (!d) throw new NotFoundError(`deployment ${id} not found`);
    return d;
  }

  return [
    defineRoute({
      method: "POST",
      url: "/apps/:slug/deployments",
      access: "user",
      summary:
        "Deploy an image (JSON {image}) or a .tar.gz build context (application/gzip body, " +
        "with a Containerfile or Dockerfile at its root; commit via ?commit_sha=&commit_message=)",
      tags: ["deployments"],
      status: 202,
      rawBody: { contentTypes: ARCHIVE_CONTENT_TYPES, limitBytes: limits.maxBytes },
      schema: {
        params: slugParams,
        querystring: commitQuery,
        body: imageBody,
        response: { 202: z.object({ deployment: deploymentSchema }) },
      },
      handler: async ({ request, reply, principal, params, query, body }) => {
        const app = await findOwnedApp(db, principal.user.id, params.slug);
        assertDeployable(app);
        let source: DeploySource;
        let commit = { sha: query.commit_sha, message: query.commit_message };
        if (body) {
          source = { kind: "image", image: body.image };
          commit = { sha: body.commit_sha ?? commit.sha, message: body.commit_message ?? commit.message };
        } else {
          const stream = request.body as Readable | undefined;
          if (!stream || typeof stream.pipe !== "function") {
            throw new InvalidRequestError("body: send JSON {image} or an application/gzip build context");
          }
          // A refusal is answered before the body is read to its end: the connection
          // is closed after the answer, so a client cannot reuse it mid-body.
          reply.header("connection", "close");
          const declared = Number(request.headers["content-length"] ?? 0);
          if (declared > limits.maxBytes) {
            stream.resume();
            throw new PayloadTooLargeError(`archive larger than ${limits.maxBytes} bytes`);
          }
          const received = await receiveArchive(stream, deps.artifactsDir, limits);
          reply.removeHeader("connection");
          source = { kind: "archive", file: received.path };
          request.log.info({ app: app.slug, bytes: received.bytes }, "build context received");
        }
        const row = await createDeployment(deps, app.id, source, commit);
        return { deployment: deploymentDto(await ownedDeployment(principal.user.id, row.id)) };
      },
    }),
    defineRoute({
      method: "GET",
      url: "/apps/:slug/deployments",
      access: "user",
      summary: "The app's deployments, newest first (at most 50)",
      tags: ["deployments"],
      schema: { params: slugParams, response: { 200: z.object({ deployments: z.array(deploymentSchema) }) } },
      handler: async ({ principal, params }) => {
        const app = await findOwnedApp(db, principal.user.id, params.slug);
        return { deployments: (await listDeploymentViews(db, app.id)).map(deploymentDto) };
      },
    }),
    defineRoute({
      method: "GET",
      url: "/deployments/:id",
      access: "user",
      summary: "One deployment and its build log",
      tags: ["deployments"],
      schema: {
        params: idParams,
        response: { 200: z.object({ deployment: deploymentSchema, build_log: z.string() }) },
      },
      handler: async ({ principal, params }) => {
        const d = await ownedDeployment(principal.user.id, params.id);
        const log = await readBuildLog(db, d.id);
        return { deployment: deploymentDto(d), build_log: log?.build_logs ?? "" };
      },
    }),
    defineRoute({
      method: "GET",
      url: "/deployments/:id/log",
      access: "user",
      summary:
        "The build log as server-sent events: `log` {text} chunks, then `end` {status, error}; " +
        "with follow=1, new text until the deployment is running, failed, superseded or stopped",
      tags: ["deployments"],
      schema: { params: idParams, querystring: z.object({ follow: booleanFlag.optional() }) },
      handler: async ({ request, reply, principal, params, query }) => {
        const d = await ownedDeployment(principal.user.id, params.id);
        const stream = openEventStream(reply);
        try {
          await streamBuildLog(db, stream, d.id, query.follow ?? false, opts.logPollMs);
        } catch (err) {
          request.log.error({ err, deploymentId: d.id }, "build log stream failed");
          stream.close();
        }
      },
    }),
  ];
}
