import { createInterface } from "node:readline/promises";
import { CliError } from "./cli-errors.js";
import type { CliIO } from "./context.js";

/**
 * Questions on the terminal. Prompts go to stderr so stdout stays for
 * results. A secret is read with the terminal in raw mode, so it is never
 * echoed; Ctrl-C while asking exits 130 as a shell would.
 */

export function canPrompt(io: CliIO): boolean {
  return Boolean(io.stdin.isTTY);
}

/** One visible line from the terminal, trimmed. */
export async function ask(io: CliIO, question: string): Promise<string> {
  if (!canPrompt(io)) throw new CliError(`cannot ask "${question.trim()}": stdin is not a terminal`);
  const rl = createInterface({ input: io.stdin, output: io.stderr as NodeJS.WritableStream, terminal: true });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

/**
 * One line typed without echo. Backspace edits, Enter ends, Ctrl-C exits
 * 130, Ctrl-D on an empty line is an error. Restores the terminal mode.
 */
export function askSecret(io: CliIO, question: string): Promise<string> {
  const stdin = io.stdin;
  if (!canPrompt(io)) {
    return Promise.reject(new CliError(`cannot ask "${question.trim()}": stdin is not a terminal`));
  }
  io.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = "";
    const wasRaw = stdin.isRaw;
    const done = (fn: () => void): void => {
      stdin.off("data", onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      io.stderr.write("\n");
      fn();
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString("utf8")) {
        if (ch === "\r" || ch === "\n") return done(() => resolve(value));
        if (ch === "\u0003") return done(() => process.exit(130));
        if (ch === "\u0004") {
          if (value === "") return done(() => reject(new CliError("no input")));
          return done(() => resolve(value));
        }
        if (ch === "\u007f" || ch === "\b") value = [...value].slice(0, -1).join("");
        else if (ch >= " ") value += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on("data", onData);
  });
}

/**
 * The first line of stdin (without its line ending), for `--password-stdin`.
 * Reads only as far as the first newline or the end of input; refuses an
 * empty line.
 */
export async function readFirstLine(stdin: NodeJS.ReadableStream, what: string): Promise<string> {
  let text = "";
  for await (const chunk of stdin) {
    text += typeof chunk === "string" ? chunk : chunk.toString("utf8");
    if (text.includes("\n")) break;
  }
  const line = text.split("\n")[0]!.replace(/\r$/, "");
  if (line === "") throw new CliError(`no ${what} on stdin`);
  return line;
}

/** Asks to type `expected` to confirm something destructive; false unless it matches exactly. */
export async function confirmTyped(io: CliIO, message: string, expected: string): Promise<boolean> {
  io.stderr.write(`${message}\n`);
  return (await ask(io, `type "${expected}" to confirm: `)) === expected;
}
