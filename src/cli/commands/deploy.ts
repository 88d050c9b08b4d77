import { execFile } from "node:child_process";
import { createReadStream } from "node:fs";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { seg, type CliApi } from "../api-client.js";
import { CliError, UsageError } from "../cli-errors.js";
import { authedApi, parseCommand, positionals, safe, type CliIO } from "../context.js";
import { findBuildFile, packContext } from "../pack.js";
import { countingStream, mb, ProgressBar } from "../progress.js";
import type { Deployment } from "./apps.js";
import { watchDeployment } from "./deploy-watch.js";

export const DEPLOY_USAGE = `usage: wisehosting deploy [DIR] [--app SLUG] [--image REF] [--no-wait] [--server URL]

Without --image: packs DIR (default .) into a build context, honouring
.dockerignore and .gitignore files (.git is never sent; symlinks are sent as
links), uploads it, streams the build log and waits until the app runs, then
prints its URL. DIR must have a Containerfile or Dockerfile at its root.
With --image: deploys that image instead (DIR is only used for the app name
and the commit). The app is --app, else "app" in DIR/wisehosting.json, else
DIR's name as a slug. The commit SHA and message are read with git when DIR
is a git repository. Exits 1 when the deployment fails.
`;

/** The API's limit on an uploaded build context. */
export const MAX_CONTEXT_BYTES = 200 * 1024 * 1024;
const run = promisify(execFile);

/** A folder name as an app slug: lower-case `[a-z0-9-]`, 1–40, no leading or trailing dash. */
export function slugify(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/, "");
}

/** `--app`, else `app` in DIR/wisehosting.json, else the folder's name slugified. */
export async function resolveAppSlug(dir: string, flag: string | undefined): Promise<string> {
  if (flag) return flag;
  const file = path.join(dir, "wisehosting.json");
  const text = await readFile(file, "utf8").catch(() => null);
  if (text !== null) {
    let app: unknown;
    try {
      app = (JSON.parse(text) as { app?: unknown }).app;
    } catch {
      throw new CliError(`${file} is not valid JSON`);
    }
    if (typeof app === "string" && app !== "") return app;
    if (app !== undefined) throw new CliError(`${file}: "app" must be the app's slug`);
  }
  const slug = slugify(path.basename(dir));
  if (!slug) throw new CliError(`cannot make an app name from ${dir}: pass --app SLUG`);
  return slug;
}

/** The HEAD commit of `dir` when it is in a git work tree; null otherwise (or without git). */
export async function gitCommit(dir: string): Promise<{ sha: string; message: string } | null> {
  try {
    // Argument arrays only: nothing here is ever parsed by a shell.
    const opts = { cwd: dir, timeout: 10_000, env: { ...process.env, GIT_TERMINAL_PROMPT: "0" } };
    const sha = (await run("git", ["rev-parse", "HEAD"], opts)).stdout.trim();
    const message = (await run("git", ["log", "-1", "--format=%s"], opts)).stdout.trim();
    if (!/^[0-9a-f]{40,64}$/.test(sha)) return null;
    return { sha, message: message.slice(0, 500) };
  } catch {
    return null;
  }
}

/** Packs `dir` to a temporary file and uploads it; the file is removed whatever happens. */
async function uploadContext(
  api: CliApi,
  io: CliIO,
  dir: string,
  slug: string,
  commit: Commit,
): Promise<Deployment> {
  await findBuildFile(dir);
  const tmp = await mkdtemp(path.join(tmpdir(), "wisehosting-ctx-"));
  try {
    const file = path.join(tmp, "context.tar.gz");
    const packed = await packContext(dir, file);
    io.stderr.write(`packed ${packed.entries.length} entries (${mb(packed.bytes)} MB compressed)\n`);
    if (packed.bytes > MAX_CONTEXT_BYTES) {
      throw new CliError(
        `the build context is ${mb(packed.bytes)} MB, over the ${mb(MAX_CONTEXT_BYTES)} MB limit: exclude build output and dependencies in .dockerignore`,
      );
    }
    const size = (await stat(file)).size;
    const bar = new ProgressBar(io.stderr, size);
    const body = countingStream(Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>, (n) =>
      bar.advance(n),
    );
    const res = await api.request<{ deployment: Deployment }>("POST", `/apps/${seg(slug)}/deployments`, {
      body,
      contentType: "application/gzip",
      contentLength: size,
      query: { commit_sha: commit?.sha, commit_message: commit?.message },
    });
    bar.finish();
    return res.deployment;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

type Commit = { sha: string; message: string } | null;

export async function runDeploy(args: string[], io: CliIO): Promise<void> {
  const { values, positionals: pos } = parseCommand(
    args,
    { app: { type: "string" }, image: { type: "string" }, "no-wait": { type: "boolean" } },
    DEPLOY_USAGE,
  );
  if (values.help) return void io.stdout.write(DEPLOY_USAGE);
  const [dirArg] = positionals(pos.length ? pos : ["."], ["dir"], DEPLOY_USAGE);
  const dir = path.resolve(dirArg!);
  const st = await stat(dir).catch(() => null);
  if (!st?.isDirectory()) throw new UsageError(`${dir} is not a folder`, DEPLOY_USAGE);
  const api = await authedApi(io, values.server);
  const slug = await resolveAppSlug(dir, values.app);
  const commit = await gitCommit(dir);

  let deployment: Deployment;
  if (values.image) {
    const body = await api.post<{ deployment: Deployment }>(`/apps/${seg(slug)}/deployments`, {
      image: values.image,
      ...(commit ? { commit_sha: commit.sha, commit_message: commit.message } : {}),
    });
    deployment = body.deployment;
  } else {
    deployment = await uploadContext(api, io, dir, slug, commit);
  }
  const what = commit ? ` of ${commit.sha.slice(0, 7)} ${safe(commit.message)}` : "";
  io.stderr.write(`deployment ${deployment.id}${what} created for ${safe(slug)}\n`);
  if (values["no-wait"]) {
    io.stdout.write(`${deployment.id}\n`);
    return;
  }
  const url = await watchDeployment(api, io, deployment);
  io.stdout.write(`deployed ${safe(slug)}: ${safe(url)}\n`);
}
