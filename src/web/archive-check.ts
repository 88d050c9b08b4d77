import type { Header } from "tar-stream";
import { AppError } from "../errors.js";
import { capLine, stripANSI } from "../api/log-sanitize.js";

/** A refused build context (400 invalid_archive); the message says what was wrong. */
export class InvalidArchiveError extends AppError {
  constructor(what: string) {
    super("invalid_archive", `invalid archive: ${what}`);
  }
}

/** Most entries a build context may hold. */
export const MAX_ARCHIVE_ENTRIES = 100_000;
/** Symlinks followed while resolving one path before it counts as a loop. */
const MAX_LINK_HOPS = 40;
/** The build recipes looked for at the archive's root. */
const RECIPES = ["Containerfile", "Dockerfile"] as const;

const REGULAR = new Set(["file", "contiguous-file"]);
const ALLOWED = new Set(["file", "contiguous-file", "directory", "symlink", "link"]);
const SPECIAL = new Set(["character-device", "block-device", "fifo"]);

/** An entry name as shown in a message: no control characters, at most 200 bytes. */
function show(name: string): string {
  return capLine(stripANSI(name), 200);
}

/**
 * The components of a relative path, without empty and `.` components.
 * Throws for an absolute path or one with a `..` component.
 */
function components(name: string, what: string): string[] {
  if (name.startsWith("/")) throw new InvalidArchiveError(`${what} ${show(name)} is an absolute path`);
  const parts = name.split("/");
  if (parts.includes("..")) throw new InvalidArchiveError(`${what} ${show(name)} escapes the build context`);
  return parts.filter((p) => p !== "" && p !== ".");
}

/**
 * Checks the entries of a build context as they stream past, then the
 * whole (finish). Guarantees, when finish() returns: every entry is a
 * relative path without `..`, none is a device or fifo, no entry is written
 * through a symlink, every symlink and hard link resolves (following the
 * archive's other symlinks, lexically) inside the root, and `Containerfile`
 * or `Dockerfile` is a regular file at the root. Links are resolved at the end
 * because a later symlink can change where an earlier one leads.
 */
export class BuildContextCheck {
  private count = 0;
  private readonly symlinks = new Map<string, string>();
  private readonly hardlinks: { name: string; target: string }[] = [];
  private readonly recipes = new Map<string, boolean>();

  entry(h: Header): void {
    this.count += 1;
    if (this.count > MAX_ARCHIVE_ENTRIES) {
      throw new InvalidArchiveError(`more than ${MAX_ARCHIVE_ENTRIES} entries`);
    }
    // tar-stream reports an unknown type flag as null.
    const type = (h.type as string | null) ?? "unknown";
    const name = h.name;
    if (SPECIAL.has(type)) throw new InvalidArchiveError(`entry ${show(name)} is a device or fifo`);
    if (!ALLOWED.has(type)) throw new InvalidArchiveError(`entry ${show(name)} has an unsupported type`);
    if (name === "") throw new InvalidArchiveError("an entry has an empty name");
    const parts = components(name, "entry");
    if (parts.length === 0) {
      if (type !== "directory") throw new InvalidArchiveError(`entry ${show(name)} is not a directory`);
      return;
    }
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      if (this.symlinks.has(dir)) {
        throw new InvalidArchiveError(`entry ${show(name)} is inside the symlink ${show(dir)}`);
      }
    }
    const path = parts.join("/");
    // A later entry of the same name replaces the earlier one when extracted.
    this.symlinks.delete(path);
    if (parts.length === 1 && (RECIPES as readonly string[]).includes(path)) {
      this.recipes.set(path, REGULAR.has(type));
    }
    if (type === "symlink" || type === "link") {
      const target = h.linkname ?? "";
      if (target === "") throw new InvalidArchiveError(`link ${show(name)} has no target`);
      if (target.startsWith("/")) {
        throw new InvalidArchiveError(`link ${show(name)} points outside the build context`);
      }
      if (type === "symlink") this.symlinks.set(path, target);
      else this.hardlinks.push({ name, target });
    }
  }

  /** Throws unless the archive as a whole is a usable build context. */
  finish(): void {
    for (const [path, target] of this.symlinks) {
      const dir = path.split("/").slice(0, -1);
      if (!this.resolvesInside([...dir, ...target.split("/")])) {
        throw new InvalidArchiveError(`link ${show(path)} points outside the build context`);
      }
    }
    for (const { name, target } of this.hardlinks) {
      // Hard link targets are relative to the archive's root, not to the link.
      if (!this.resolvesInside(components(target, `link ${show(name)} to`))) {
        throw new InvalidArchiveError(`link ${show(name)} points outside the build context`);
      }
    }
    if (![...this.recipes.values()].some(Boolean)) {
      throw new InvalidArchiveError("no Containerfile or Dockerfile at the archive's root");
    }
  }

  /** Lexical resolution from the root, following the archive's symlinks; false on escape or loop. */
  private resolvesInside(start: string[]): boolean {
    const stack: string[] = [];
    const queue = [...start];
    let hops = 0;
    while (queue.length > 0) {
      const c = queue.shift() as string;
      if (c === "" || c === ".") continue;
      if (c === "..") {
        if (stack.length === 0) return false;
        stack.pop();
        continue;
      }
      stack.push(c);
      const target = this.symlinks.get(stack.join("/"));
      if (target !== undefined) {
        hops += 1;
        if (hops > MAX_LINK_HOPS || target.startsWith("/")) return false;
        stack.pop();
        queue.unshift(...target.split("/"));
      }
    }
    return true;
  }
}
