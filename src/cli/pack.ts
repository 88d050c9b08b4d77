import { createReadStream, createWriteStream } from "node:fs";
import { lstat, readFile, readdir, readlink, stat } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import ignore, { type Ignore } from "ignore";
import { pack as tarPack, type Header, type Pack } from "tar-stream";
import { CliError } from "./cli-errors.js";

/**
 * Packs a folder into the .tar.gz build context that
 * `POST /apps/:slug/deployments` takes. Contract:
 * - a `Containerfile` or `Dockerfile` must be a regular file at the root, or
 *   nothing is packed (CliError saying so); it is always included;
 * - `.git` (directory or file, at any depth) is never packed;
 * - `.gitignore` files apply to their own directory and below, deeper ones
 *   after shallower ones, negation included; the root `.dockerignore`
 *   applies last, so where it speaks it wins; an excluded directory is not
 *   entered (as in git, a file inside it cannot be re-included);
 * - symbolic links are stored as links (their target text, never followed),
 *   so nothing outside the folder is read; sockets, FIFOs and devices are
 *   skipped;
 * - entries are sorted, so the same tree packs to the same entry list.
 */

export const BUILD_FILES = ["Containerfile", "Dockerfile"] as const;

export interface PackResult {
  /** Relative POSIX paths in the archive, in order (directories end in `/`). */
  entries: string[];
  /** Compressed size written to `out`. */
  bytes: number;
}

type EntryHeader = Partial<Header> & Pick<Header, "name">;

interface Rules {
  /** Directory the rules belong to, relative to the root ("" for the root). */
  base: string;
  ig: Ignore;
}

/** The build file found at the root of `dir`, or a CliError naming what is missing. */
export async function findBuildFile(dir: string): Promise<string> {
  for (const name of BUILD_FILES) {
    const st = await lstat(path.join(dir, name)).catch(() => null);
    if (st?.isFile()) return name;
  }
  throw new CliError(
    `no Containerfile or Dockerfile at the root of ${dir}: add one (or deploy a built image with --image REF)`,
  );
}

async function readRules(file: string): Promise<Ignore | null> {
  const text = await readFile(file, "utf8").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT" || err.code === "EISDIR") return null;
    throw err;
  });
  return text === null ? null : ignore().add(text);
}

/**
 * Whether `rel` (a file, or a directory when `isDir`) is excluded: each rule
 * set, shallow to deep, may ignore or un-ignore it; the last word wins.
 * Assumes every ancestor of `rel` was itself found included.
 */
export function isExcluded(rules: readonly Rules[], rel: string, isDir: boolean): boolean {
  let excluded = false;
  for (const r of rules) {
    if (r.base !== "" && rel !== r.base && !rel.startsWith(`${r.base}/`)) continue;
    const sub = r.base === "" ? rel : rel.slice(r.base.length + 1);
    if (sub === "") continue;
    // The walk only enters included directories: a set that excludes an ancestor was overruled by a
    // later set, and has no say about what is inside.
    const slash = sub.lastIndexOf("/");
    if (slash > 0 && r.ig.test(`${sub.slice(0, slash)}/`).ignored) continue;
    const t = r.ig.test(isDir ? `${sub}/` : sub);
    if (t.ignored) excluded = true;
    else if (t.unignored) excluded = false;
  }
  return excluded;
}

/** Every path to pack under `root`, directories before their contents, sorted. */
export async function listContext(root: string): Promise<{ rel: string; kind: "file" | "dir" | "link" }[]> {
  const buildFile = await findBuildFile(root);
  const docker = await readRules(path.join(root, ".dockerignore"));
  const out: { rel: string; kind: "file" | "dir" | "link" }[] = [];

  const walk = async (relDir: string, inherited: Rules[]): Promise<void> => {
    const abs = path.join(root, relDir);
    const own = await readRules(path.join(abs, ".gitignore"));
    const git = own ? [...inherited, { base: relDir, ig: own }] : inherited;
    const rules = docker ? [...git, { base: "", ig: docker }] : git;
    const names = (await readdir(abs)).sort();
    for (const name of names) {
      if (name === ".git") continue;
      const rel = relDir === "" ? name : `${relDir}/${name}`;
      const st = await lstat(path.join(root, rel));
      const forced = relDir === "" && name === buildFile;
      if (st.isDirectory()) {
        if (isExcluded(rules, rel, true)) continue;
        out.push({ rel, kind: "dir" });
        await walk(rel, git);
      } else if (st.isFile() || st.isSymbolicLink()) {
        if (!forced && isExcluded(rules, rel, false)) continue;
        out.push({ rel, kind: st.isFile() ? "file" : "link" });
      }
    }
  };
  await walk("", []);
  return out;
}

/**
 * Writes the gzipped tar of `root`'s build context to the file `outFile`,
 * streaming each file from disk (memory stays flat whatever the size).
 */
export async function packContext(root: string, outFile: string): Promise<PackResult> {
  const items = await listContext(root);
  const pack = tarPack();
  const done = pipeline(pack, createGzip(), createWriteStream(outFile, { mode: 0o600 }));
  const entries: string[] = [];
  try {
    for (const item of items) {
      const abs = path.join(root, item.rel);
      const st = await lstat(abs);
      const common = { mode: st.mode & 0o7777, mtime: st.mtime, uid: 0, gid: 0 };
      if (item.kind === "dir") {
        entries.push(`${item.rel}/`);
        await entry(pack, { ...common, name: `${item.rel}/`, type: "directory" });
      } else if (item.kind === "link") {
        entries.push(item.rel);
        const target = await readlink(abs);
        await entry(pack, { ...common, name: item.rel, type: "symlink", linkname: target });
      } else {
        entries.push(item.rel);
        await fileEntry(pack, { ...common, name: item.rel, type: "file", size: st.size }, abs);
      }
    }
    pack.finalize();
  } catch (err) {
    pack.destroy(err as Error);
    await done.catch(() => undefined);
    throw err;
  }
  await done;
  return { entries, bytes: (await stat(outFile)).size };
}

/** Streams one file into the archive; rejects if it cannot be read or changed size meanwhile. */
function fileEntry(pack: Pack, header: EntryHeader, abs: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const sink = pack.entry(header, (err) => (err ? reject(err) : resolve()));
    const source = createReadStream(abs);
    source.on("error", (err) => {
      sink.destroy(err);
      reject(err);
    });
    source.pipe(sink);
  });
}

function entry(pack: Pack, header: EntryHeader): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(header, (err) => (err ? reject(err) : resolve()));
  });
}
