import { mkdir, readdir, rm } from "node:fs/promises";
import path from "node:path";

import type { TokenBucket } from "../api/token-bucket.js";
import type { JobPayload } from "../protocol/messages-server.js";
import { downloadBuildContext } from "./archive.js";
import { BuildLogStream } from "./build-log.js";
import type { PortProbe } from "./port-probe.js";
import { waitForHttp } from "./port-probe.js";
import type { ContainerRegistry } from "./registry.js";
import { managedFromInfo } from "./registry.js";
import type { ContainerInfo, ContainerRuntime } from "./runtime/runtime.js";
import {
  BuildError,
  LABEL_APP_ID,
  LABEL_DEPLOYMENT_ID,
  LABEL_HOST_PORT,
  LABEL_MANAGED,
} from "./runtime/runtime.js";
import type { Send, SetTimer, ClearTimer } from "./send.js";

/** A job failure whose message a user can act on; it becomes the `job_result` error as it stands. */
export class JobFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JobFailure";
  }
}

export interface JobHandlerDeps {
  runtime: ContainerRuntime;
  registry: ContainerRegistry;
  send: Send;
  budget: TokenBucket;
  serverUrl: string;
  /** Build contexts are extracted under `<dataDir>/builds`. */
  dataDir: string;
  /** Where apps are published: the WireGuard IP, or 127.0.0.1. */
  hostIp: string;
  /** The worker's current JWT, for the artifact download. */
  token: () => string;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** True once the agent is stopping: waits end early. */
  cancelled: () => boolean;
  fetch?: typeof fetch;
  /** How long a new container has to answer HTTP on its port; defaults to 60 s. */
  portTimeoutMs?: number;
  probe?: PortProbe;
  /** Seconds between SIGTERM and SIGKILL when a container is stopped; defaults to 10. */
  stopTimeoutS?: number;
  setTimer?: SetTimer;
  clearTimer?: ClearTimer;
}

/** What a successful job reports. */
export interface JobOutput {
  containerId: string | null;
  logs: string;
}

/** The container name of one deployment: `wh-<slug>-d<deploymentId>`. */
export function containerName(slug: string, deploymentId: number): string {
  return `wh-${slug}-d${deploymentId}`;
}

/** Images the agent built (and so may delete): the control plane names them `localhost/wisehosting/...`. */
const BUILT_IMAGE_PREFIX = "localhost/wisehosting/";

/**
 * Deploy, start-first (protocol §5): build or check the image, run the new
 * container next to any previous one (which this job never touches), and
 * succeed only once the new one answers HTTP on its published port. A new
 * container that never answers is removed and the job fails; the previous
 * deployment keeps serving. A container left by an earlier attempt at the
 * same deployment is replaced.
 */
export async function runDeploy(
  deps: JobHandlerDeps,
  job: Extract<JobPayload, { type: "deploy" }>,
): Promise<JobOutput> {
  const d = job.deploy;
  const logs: string[] = [];
  if (d.source.kind === "archive") {
    await buildFromArchive(deps, job.job_id, job.app.id, d.deployment_id, d.source.url, d.image);
    logs.push(`built ${d.image}`);
  } else if (!(await deps.runtime.imageExists(d.image))) {
    throw new JobFailure(`image not found: ${d.image}`);
  }
  await deps.runtime.ensureNetwork(d.network);
  const name = containerName(job.app.slug, d.deployment_id);
  for (const old of await deps.runtime.list({
    [LABEL_MANAGED]: "true",
    [LABEL_DEPLOYMENT_ID]: String(d.deployment_id),
  })) {
    await retire(deps, old.id, 0);
  }
  await deps.runtime.remove(name);
  const startedAt = deps.now();
  const id = await deps.runtime.run({
    name,
    image: d.image,
    env: d.env,
    cpuMillicores: d.cpu_millicores,
    memoryMb: d.memory_mb,
    network: d.network,
    internalPort: d.internal_port,
    hostIp: deps.hostIp,
    hostPort: d.host_port,
    labels: {
      [LABEL_MANAGED]: "true",
      [LABEL_APP_ID]: String(job.app.id),
      [LABEL_DEPLOYMENT_ID]: String(d.deployment_id),
      [LABEL_HOST_PORT]: String(d.host_port),
    },
  });
  const answered = await waitForHttp({
    host: deps.hostIp,
    port: d.host_port,
    deadlineMs: deps.portTimeoutMs ?? 60_000,
    now: deps.now,
    sleep: deps.sleep,
    cancelled: deps.cancelled,
    ...(deps.probe ? { probe: deps.probe } : {}),
  });
  if (!answered) {
    await deps.runtime.remove(id);
    throw new JobFailure(`port ${d.internal_port} never opened (the app must listen on 0.0.0.0:$PORT)`);
  }
  // Registered only once it answers, so a container that never came up is never reported on.
  deps.registry.add({
    id,
    name,
    appId: job.app.id,
    deploymentId: d.deployment_id,
    hostPort: d.host_port,
    logsSinceMs: startedAt,
  });
  logs.push(`started ${name} on ${deps.hostIp}:${d.host_port}`);
  return { containerId: id, logs: logs.join("\n") };
}

async function buildFromArchive(
  deps: JobHandlerDeps,
  jobId: number,
  appId: number,
  deploymentId: number,
  url: string,
  image: string,
): Promise<void> {
  const dir = path.join(deps.dataDir, "builds", `a${appId}-d${deploymentId}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(path.dirname(dir), { recursive: true, mode: 0o700 });
  try {
    try {
      await downloadBuildContext({
        serverUrl: deps.serverUrl,
        urlPath: url,
        token: deps.token(),
        dir,
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
      });
    } catch (err) {
      throw new JobFailure(`could not fetch the build context: ${(err as Error).message}`);
    }
    const stream = new BuildLogStream({
      jobId,
      send: deps.send,
      budget: deps.budget,
      ...(deps.setTimer ? { setTimer: deps.setTimer } : {}),
      ...(deps.clearTimer ? { clearTimer: deps.clearTimer } : {}),
    });
    try {
      await deps.runtime.build(dir, image, (text) => stream.write(text));
    } catch (err) {
      const tail = err instanceof BuildError && err.tail.trim() !== "" ? err.tail : stream.tail;
      throw new JobFailure(`build failed: ${(err as Error).message}${tail ? `\n${tail}` : ""}`);
    } finally {
      stream.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Restarts the app's containers in place (stop, then start again). */
export async function runRestart(deps: JobHandlerDeps, job: JobPayload): Promise<JobOutput> {
  const containers = await appContainers(deps, job.app.id);
  if (containers.length === 0) throw new JobFailure("the app has no container on this worker to restart");
  for (const c of containers) {
    const managed = managedFromInfo(c);
    if (managed) deps.registry.add({ ...managed, logsSinceMs: deps.now() });
    deps.registry.setQuiet(c.id, true);
    try {
      await deps.runtime.stop(c.id, deps.stopTimeoutS ?? 10);
      await deps.runtime.start(c.id);
    } finally {
      deps.registry.setQuiet(c.id, false);
    }
  }
  return { containerId: containers[0]?.id ?? null, logs: `restarted ${containers.length} container(s)` };
}

/** Stops and removes one deployment's container (`deployment_id`) or all of the app's. */
export async function runStop(
  deps: JobHandlerDeps,
  job: Extract<JobPayload, { type: "stop" | "delete" }>,
): Promise<JobOutput> {
  const containers = await appContainers(deps, job.app.id, job.deployment_id);
  for (const c of containers) await retire(deps, c.id, deps.stopTimeoutS ?? 10);
  return { containerId: null, logs: `removed ${containers.length} container(s)` };
}

/** `runStop`, then the images the agent built for those containers and any build context left behind. */
export async function runDelete(
  deps: JobHandlerDeps,
  job: Extract<JobPayload, { type: "stop" | "delete" }>,
): Promise<JobOutput> {
  const containers = await appContainers(deps, job.app.id, job.deployment_id);
  for (const c of containers) await retire(deps, c.id, deps.stopTimeoutS ?? 10);
  const images = new Set(containers.map((c) => c.image).filter((i) => i.startsWith(BUILT_IMAGE_PREFIX)));
  for (const image of images) await deps.runtime.removeImage(image);
  const buildsDir = path.join(deps.dataDir, "builds");
  const prefix = job.deployment_id ? `a${job.app.id}-d${job.deployment_id}` : `a${job.app.id}-`;
  const leftovers = await readdir(buildsDir).catch(() => [] as string[]);
  for (const entry of leftovers) {
    if (entry === prefix || (prefix.endsWith("-") && entry.startsWith(prefix))) {
      await rm(path.join(buildsDir, entry), { recursive: true, force: true });
    }
  }
  return {
    containerId: null,
    logs: `removed ${containers.length} container(s) and ${images.size} image(s)`,
  };
}

/** Takes the container out of the registry first (so nothing reports its end), then stops and removes it. */
async function retire(deps: JobHandlerDeps, id: string, timeoutS: number): Promise<void> {
  deps.registry.remove(id);
  if (timeoutS > 0) await deps.runtime.stop(id, timeoutS);
  await deps.runtime.remove(id);
}

function appContainers(deps: JobHandlerDeps, appId: number, deploymentId?: number): Promise<ContainerInfo[]> {
  return deps.runtime.list({
    [LABEL_MANAGED]: "true",
    [LABEL_APP_ID]: String(appId),
    ...(deploymentId ? { [LABEL_DEPLOYMENT_ID]: String(deploymentId) } : {}),
  });
}
