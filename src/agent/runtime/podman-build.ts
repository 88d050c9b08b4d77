import { access } from "node:fs/promises";
import path from "node:path";

import { lastLine, splitLines, type PodmanExec } from "./podman-exec.js";
import { BuildError } from "./runtime.js";

/** How many output lines a BuildError keeps. */
export const BUILD_TAIL_LINES = 30;

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/** `Containerfile` if the context has one, else `Dockerfile`; undefined when it has neither. */
export async function findBuildFile(contextDir: string): Promise<string | undefined> {
  for (const name of ["Containerfile", "Dockerfile"]) {
    const file = path.join(contextDir, name);
    if (await exists(file)) return file;
  }
  return undefined;
}

/**
 * `podman build -t <tag> -f <Containerfile|Dockerfile> <contextDir>`. Every
 * line podman prints (stdout and stderr, interleaved as they arrive) goes to
 * `onOutput` with its newline as soon as it is complete. Resolves on exit 0;
 * otherwise rejects with BuildError carrying the last BUILD_TAIL_LINES lines,
 * also when the build outlives `timeoutMs` (the child is then SIGKILLed).
 */
export async function podmanBuild(
  exec: PodmanExec,
  contextDir: string,
  tag: string,
  onOutput: (text: string) => void,
  timeoutMs: number,
): Promise<void> {
  const file = await findBuildFile(contextDir);
  if (file === undefined) {
    throw new BuildError("build failed: the build context has no Containerfile or Dockerfile", "");
  }
  const tail: string[] = [];
  const onLine = (line: string) => {
    tail.push(line);
    if (tail.length > BUILD_TAIL_LINES) tail.shift();
    onOutput(`${line}\n`);
  };
  const child = exec.spawn(["build", "-t", tag, "-f", file, contextDir]);
  splitLines(child.stdout!, onLine);
  splitLines(child.stderr!, onLine);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve) => {
    child.on("error", (err) => {
      tail.push(`cannot start podman: ${err.message}`);
      resolve(null);
    });
    child.on("close", (exitCode) => resolve(exitCode));
  }).finally(() => clearTimeout(timer));
  if (code === 0) return;
  const text = tail.join("\n");
  const why = timedOut ? `timed out after ${Math.round(timeoutMs / 1000)} s` : lastLine(text);
  throw new BuildError(`build failed: ${why}`, text);
}
