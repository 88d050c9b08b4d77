import { rename, rm } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { stripANSIMultiline } from "../api/log-sanitize.js";
import type { AppRow } from "../db/apps.js";
import { insertDeployment, type DeploymentRow } from "../db/deployments.js";
import { ConflictError } from "../errors.js";
import { enqueueAppJob } from "../scheduler/enqueue.js";
import type { UserApiDeps } from "./deps.js";

/*
 * Image references (DESIGN.md 4.12): [registry[:port]/]path[:tag][@sha256:digest],
 * path components of lowercase letters and digits joined by `.`, `_`, `__` or
 * dashes, at most 255 characters, never starting with `-` (so never an option).
 */
const HOST_PART = "[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?";
const HOST = `${HOST_PART}(?:\\.${HOST_PART})*(?::[0-9]{1,5})?`;
const PATH_PART = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const TAG = "[A-Za-z0-9_][A-Za-z0-9._-]{0,127}";
export const IMAGE_RE = new RegExp(
  `^(?:${HOST}/)?${PATH_PART}(?:/${PATH_PART})*(?::${TAG})?(?:@sha256:[0-9a-f]{64})?$`,
);
export const MAX_IMAGE_LENGTH = 255;

/**
 * True for a reference into the namespace where workers keep the images they
 * build (`localhost/wisehosting/<slug>:d<id>`): those belong to other apps, so
 * a user may not name them, with any registry host or by the short name Podman
 * would resolve locally. Other images already on a worker (`localhost/base:1`,
 * imported by its operator) may be run as is (worker protocol §4).
 */
function isBuiltImage(ref: string): boolean {
  const [first = "", ...rest] = ref.split("/");
  const isHost = rest.length > 0 && (/[.:]/.test(first) || first === "localhost");
  const repo = isHost ? rest : [first, ...rest];
  return repo[0] === "wisehosting";
}

export const imageSchema = z
  .string()
  .trim()
  .max(MAX_IMAGE_LENGTH)
  .regex(IMAGE_RE, "must be an image reference like registry.example.com/team/app:1.2")
  .refine(
    (s) => !isBuiltImage(s),
    "must not name an image in the wisehosting/ namespace (built images of apps)",
  );

/** Commit ids: 4–64 hex digits, lowercased. Empty means none. */
export const commitShaSchema = z
  .string()
  .trim()
  .transform((s) => s.toLowerCase())
  .pipe(z.string().regex(/^([0-9a-f]{4,64})?$/, "must be 4-64 hex digits"))
  .transform((s) => (s === "" ? undefined : s));

/** Commit messages: control characters and escape sequences removed (newlines kept), ≤ 1000 characters. */
export const commitMessageSchema = z
  .string()
  .max(8000)
  .transform((s) => stripANSIMultiline(s).trim())
  .pipe(z.string().max(1000, "must be at most 1000 characters"))
  .transform((s) => (s === "" ? undefined : s));

export type DeploySource = { kind: "image"; image: string } | { kind: "archive"; file: string };

export interface CommitInfo {
  sha?: string | undefined;
  message?: string | undefined;
}

/** The image an archive deployment builds into (on the worker's local store). */
export function builtImageName(slug: string, deploymentId: number): string {
  return `localhost/wisehosting/${slug}:d${deploymentId}`;
}

/** 409 for an app on its way out. */
export function assertDeployable(app: Pick<AppRow, "slug" | "status">): void {
  if (app.status === "deleting" || app.status === "deleted") {
    throw new ConflictError("conflict", `app ${app.slug} is being deleted: it cannot be deployed`);
  }
}

/**
 * Creates a deployment of the app and its deploy job, in one transaction
 * that also sets the app `deploying`. The deployment copies the app's sealed
 * env and resources as they are now. For an archive, the uploaded file is
 * renamed to `<artifactsDir>/<deploymentId>.tar.gz` (its `archive_path`) and
 * the image to build is named after the deployment. If anything fails, no
 * row is left and the uploaded file is removed.
 */
export async function createDeployment(
  deps: Pick<UserApiDeps, "db" | "artifactsDir" | "now">,
  appId: number,
  source: DeploySource,
  commit: CommitInfo,
): Promise<DeploymentRow> {
  let stored: string | undefined;
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const app = await trx
        .selectFrom("apps")
        .selectAll()
        .where("id", "=", appId)
        .forUpdate()
        .executeTakeFirstOrThrow();
      assertDeployable(app);
      let row = await insertDeployment(trx, {
        app_id: app.id,
        source_kind: source.kind,
        image: source.kind === "image" ? source.image : "pending",
        commit_sha: commit.sha ?? null,
        commit_message: commit.message ?? null,
        env_enc: app.env_enc,
        cpu_millicores: app.cpu_millicores,
        memory_mb: app.memory_mb,
      });
      if (source.kind === "archive") {
        stored = path.join(deps.artifactsDir, `${row.id}.tar.gz`);
        await rename(source.file, stored);
        row = await trx
          .updateTable("deployments")
          .set({ image: builtImageName(app.slug, row.id), archive_path: stored })
          .where("id", "=", row.id)
          .returningAll()
          .executeTakeFirstOrThrow();
      }
      await enqueueAppJob(trx, app.id, "deploy", { deploymentId: row.id });
      await trx
        .updateTable("apps")
        .set({ status: "deploying", updated_at: deps.now() })
        .where("id", "=", app.id)
        .execute();
      return row;
    });
  } catch (err) {
    if (source.kind === "archive") await rm(source.file, { force: true });
    if (stored) await rm(stored, { force: true });
    throw err;
  }
}
