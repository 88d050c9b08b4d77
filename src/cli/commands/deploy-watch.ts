import { stripANSIMultiline } from "../../api/log-sanitize.js";
import { seg, type CliApi } from "../api-client.js";
import { CliError } from "../cli-errors.js";
import { safe, type CliIO } from "../context.js";
import { Spinner } from "../progress.js";
import { eventJson, readEvents } from "../sse-client.js";
import type { App, Deployment } from "./apps.js";

/**
 * After a deployment is created: its build log is streamed to stdout
 * (sanitised, newlines kept), then its status is polled until it is final.
 * A deployment that ends anywhere but `running` is a CliError (exit 1)
 * carrying the deployment's error; `running` prints the app's URL.
 */

/** Statuses a deployment does not leave. */
export const FINAL_STATUSES = new Set(["running", "failed", "superseded", "stopped", "cancelled"]);
const POLL_MS = 1000;
/** How long the CLI waits for a deployment to settle after its log ends. */
const WAIT_LIMIT_MS = 30 * 60 * 1000;

export interface WatchOptions {
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/**
 * Streams `GET /deployments/:id/log?follow=1` until its `end` event or until
 * the server closes the stream. Returns the `end` status when there was one.
 */
export async function streamBuildLog(api: CliApi, io: CliIO, id: number): Promise<string | null> {
  const res = await api.raw("GET", `/deployments/${seg(id)}/log`, {
    query: { follow: 1 },
    headers: { accept: "text/event-stream" },
  });
  if (!res.body) return null;
  let endsWithNewline = true;
  for await (const ev of readEvents(res.body)) {
    if (ev.event === "log") {
      const text = stripANSIMultiline(eventJson<{ text?: string }>(ev)?.text ?? "");
      if (text === "") continue;
      io.stdout.write(text);
      endsWithNewline = text.endsWith("\n");
    } else if (ev.event === "end") {
      if (!endsWithNewline) io.stdout.write("\n");
      return eventJson<{ status?: string }>(ev)?.status ?? null;
    }
  }
  if (!endsWithNewline) io.stdout.write("\n");
  return null;
}

/** Polls the deployment (spinner on a TTY) until its status is final; returns it. */
export async function waitForDeployment(
  api: CliApi,
  io: CliIO,
  id: number,
  opts: WatchOptions = {},
): Promise<Deployment> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = opts.now ?? Date.now;
  const spinner = new Spinner(io.stderr);
  const deadline = now() + WAIT_LIMIT_MS;
  try {
    for (;;) {
      const { deployment } = await api.get<{ deployment: Deployment }>(`/deployments/${seg(id)}`);
      if (FINAL_STATUSES.has(deployment.status)) return deployment;
      if (now() > deadline) {
        throw new CliError(
          `deployment ${id} is still ${deployment.status} after 30 minutes; follow it with \`wisehosting apps info ${deployment.app}\``,
        );
      }
      spinner.update(`waiting for deployment ${id} (${deployment.status})`);
      await sleep(POLL_MS);
    }
  } finally {
    spinner.stop();
  }
}

/**
 * The whole watch: log, then status, then the verdict. Resolves with the
 * app's URL when the deployment runs; throws CliError otherwise.
 */
export async function watchDeployment(
  api: CliApi,
  io: CliIO,
  deployment: Deployment,
  opts: WatchOptions = {},
): Promise<string> {
  try {
    await streamBuildLog(api, io, deployment.id);
  } catch (err) {
    // The log is a courtesy; the status decides. Say why it stopped, then keep waiting.
    const msg = err instanceof Error ? err.message : String(err);
    io.stderr.write(`wisehosting: build log unavailable (${safe(msg)}); waiting for the result\n`);
  }
  const final = await waitForDeployment(api, io, deployment.id, opts);
  if (final.status !== "running") {
    const why = final.error ? `: ${safe(final.error)}` : "";
    throw new CliError(`deployment ${final.id} of ${safe(final.app)} ${final.status}${why}`);
  }
  const { app } = await api.get<{ app: App }>(`/apps/${seg(final.app)}`);
  return app.url;
}
