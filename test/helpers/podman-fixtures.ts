import { execFile, execFileSync } from "node:child_process";
import { chmod, copyFile, mkdir, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/**
 * What the real-Podman tests share: the machine's containers.conf (runc and
 * explicit ulimits, as CI needs), the reason to skip when Podman or the
 * static busybox is missing, and a base image made from a busybox rootfs
 * (there is no registry to pull from).
 */
export const CONTAINERS_CONF = fileURLToPath(new URL("../../.ci/containers.conf", import.meta.url));
export const BUSYBOX = "/usr/bin/busybox";
const APPLETS = ["sh", "httpd", "echo", "cat", "sleep", "mkdir", "tail", "ls", "true", "false"];

const run = promisify(execFile);

/** Why the real-Podman tests cannot run here, or undefined when they can. */
export function podmanSkipReason(opts: { busybox?: boolean } = {}): string | undefined {
  try {
    execFileSync("podman", ["--version"], { stdio: "ignore" });
  } catch {
    return "podman is not on PATH";
  }
  if (opts.busybox === false) return undefined;
  try {
    execFileSync(BUSYBOX, ["true"], { stdio: "ignore" });
  } catch {
    return `${BUSYBOX} (busybox-static) is missing`;
  }
  return undefined;
}

/**
 * Runs `podman <args>` with the repository's containers.conf, from the temp
 * dir (conmon drops an `oom` marker into its working directory); resolves
 * with stdout.
 */
export async function podman(...args: string[]): Promise<string> {
  const r = await run("podman", args, {
    env: { ...process.env, CONTAINERS_CONF },
    cwd: tmpdir(),
    maxBuffer: 16 * 1024 * 1024,
  });
  return r.stdout;
}

/** Builds a busybox rootfs under `workDir` and `podman import`s it as `tag`. */
export async function importBusyboxBase(workDir: string, tag: string): Promise<void> {
  const rootfs = path.join(workDir, "rootfs");
  const bin = path.join(rootfs, "bin");
  await mkdir(bin, { recursive: true });
  await copyFile(BUSYBOX, path.join(bin, "busybox"));
  await chmod(path.join(bin, "busybox"), 0o755);
  for (const a of APPLETS) await symlink("busybox", path.join(bin, a));
  await mkdir(path.join(rootfs, "tmp"));
  const tarball = path.join(workDir, "rootfs.tar");
  await run("tar", ["-C", rootfs, "-cf", tarball, "."]);
  await podman("import", tarball, tag);
}
