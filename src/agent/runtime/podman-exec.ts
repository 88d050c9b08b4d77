import { execFile, spawn, type ChildProcess } from "node:child_process";
import { tmpdir } from "node:os";

/**
 * How every `podman` child process is started: always `execFile`/`spawn` with
 * an argument array (never a shell), with the configured global arguments
 * (e.g. `--root`, `--runroot`) first and `CONTAINERS_CONF` in the environment.
 *
 * Errors never carry the command line: `podman run` receives the app's env
 * values as arguments, and Node's own `Command failed: ...` message would put
 * them in logs. `PodmanCallError` keeps only the subcommand, exit code and
 * podman's stderr.
 */

export interface PodmanExecOptions {
  /** The podman binary; defaults to `podman` on PATH. */
  binary?: string;
  /** Arguments placed before every subcommand, e.g. `["--root", "/x", "--runroot", "/y"]`. */
  globalArgs?: readonly string[];
  /** Path of a containers.conf, passed as `CONTAINERS_CONF`; unset keeps the caller's environment. */
  containersConf?: string;
  /** Deadline for one short call (not builds or followers); defaults to 60 s. */
  timeoutMs?: number;
  /**
   * Working directory of every podman child; defaults to the OS temp dir.
   * conmon (podman 4.3) writes an `oom` marker file into its working
   * directory when a container is OOM-killed, so podman must never run in a
   * directory that matters (the repository, the agent's cwd).
   */
  cwd?: string;
}

export interface PodmanResult {
  stdout: string;
  stderr: string;
}

/** A podman call that exited non-zero, timed out or could not start. */
export class PodmanCallError extends Error {
  constructor(
    /** The subcommand, e.g. `run` or `network create`; never the arguments. */
    readonly subcommand: string,
    /** Null when podman was killed (timeout) or could not be started. */
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(
      `podman ${subcommand} failed${exitCode === null ? "" : ` (exit ${exitCode})`}: ${lastLine(stderr)}`,
    );
    this.name = "PodmanCallError";
  }
}

/** The last non-empty line of `text`, without podman's `Error: ` prefix; for short messages. */
export function lastLine(text: string): string {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const last = lines[lines.length - 1]?.trim() ?? "no output";
  return last.replace(/^Error: /, "");
}

const MAX_BUFFER = 32 * 1024 * 1024;

/** Subcommand words (before the first flag) for error messages: `["network", "create", "x"]` → `network create`. */
function subcommandOf(args: readonly string[]): string {
  const words: string[] = [];
  for (const a of args) {
    if (a.startsWith("-") || words.length === 2) break;
    words.push(a);
  }
  return words.join(" ");
}

export class PodmanExec {
  readonly binary: string;
  private readonly globalArgs: readonly string[];
  private readonly env: NodeJS.ProcessEnv;
  private readonly cwd: string;
  private readonly timeoutMs: number;

  constructor(options: PodmanExecOptions = {}) {
    this.binary = options.binary ?? "podman";
    this.globalArgs = options.globalArgs ?? [];
    this.env =
      options.containersConf === undefined
        ? process.env
        : { ...process.env, CONTAINERS_CONF: options.containersConf };
    this.cwd = options.cwd ?? tmpdir();
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  /**
   * Runs `podman <globalArgs> <args>` to completion. Resolves with its output
   * on exit 0; rejects with PodmanCallError otherwise (including a timeout,
   * after which the child is SIGKILLed).
   */
  run(args: readonly string[], options: { timeoutMs?: number; input?: string } = {}): Promise<PodmanResult> {
    const subcommand = subcommandOf(args);
    return new Promise((resolve, reject) => {
      const child = execFile(
        this.binary,
        [...this.globalArgs, ...args],
        {
          env: this.env,
          cwd: this.cwd,
          timeout: options.timeoutMs ?? this.timeoutMs,
          killSignal: "SIGKILL",
          maxBuffer: MAX_BUFFER,
          encoding: "utf8",
        },
        (error, stdout, stderr) => {
          if (!error) {
            resolve({ stdout, stderr });
            return;
          }
          const code = typeof error.code === "number" ? error.code : null;
          const why = error.killed ? `timed out; ${stderr}` : stderr || error.code?.toString() || "";
          reject(new PodmanCallError(subcommand, code, why));
        },
      );
      child.stdin?.end(options.input);
    });
  }

  /** Starts a long-running `podman <globalArgs> <args>` (build, logs -f, events); the caller owns the child. */
  spawn(args: readonly string[]): ChildProcess {
    return spawn(this.binary, [...this.globalArgs, ...args], {
      env: this.env,
      cwd: this.cwd,
      stdio: ["ignore", "pipe", "pipe"],
    });
  }
}

/**
 * Calls `onLine` with each complete line of `stream` (without its newline),
 * as it arrives; a last line without a newline is flushed when the stream ends.
 */
export function splitLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let pending = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    pending += chunk;
    let nl = pending.indexOf("\n");
    while (nl !== -1) {
      onLine(pending.slice(0, nl).replace(/\r$/, ""));
      pending = pending.slice(nl + 1);
      nl = pending.indexOf("\n");
    }
  });
  stream.on("end", () => {
    if (pending !== "") onLine(pending);
    pending = "";
  });
}
