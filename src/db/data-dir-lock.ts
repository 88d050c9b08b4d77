import { open, readFile, unlink } from "node:fs/promises";
import { ConfigError } from "../errors.js";

export interface DataDirLock {
  readonly path: string;
  release(): Promise<void>;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes an exclusive lock file holding this process's pid. Two PGlite
 * processes on one data directory corrupt it, so a second process is refused
 * with a clear message. A lock left by a dead process (crash, SIGKILL) is
 * taken over.
 */
export async function acquireDataDirLock(lockPath: string, what: string): Promise<DataDirLock> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(lockPath, "wx", 0o600);
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      let released = false;
      return {
        path: lockPath,
        release: async () => {
          if (released) return;
          released = true;
          await unlink(lockPath).catch(() => undefined);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new ConfigError(
          `${what}: cannot create lock file ${lockPath} (${(err as NodeJS.ErrnoException).code ?? "error"})`,
        );
      }
      const pid = Number.parseInt((await readFile(lockPath, "utf8").catch(() => "")).trim(), 10);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
        throw new ConfigError(
          `${what} is in use by another wisehosting process (pid ${pid}, lock ${lockPath}); ` +
            `the embedded database serves one process: stop the other one, or use DATABASE_URL for several replicas`,
        );
      }
      await unlink(lockPath).catch(() => undefined);
    }
  }
  throw new ConfigError(`${what}: could not take the lock ${lockPath}`);
}
