import { createWriteStream } from "node:fs";
import { link, mkdir, rm, symlink } from "node:fs/promises";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { createGunzip } from "node:zlib";

import { extract, type Header } from "tar-stream";

import { BuildContextCheck } from "../web/archive-check.js";
import { endpointUrl } from "./sim/http-client.js";

/** A build context larger than this (compressed) is refused; the control plane caps uploads lower. */
const MAX_DOWNLOAD_BYTES = 1024 * 1024 * 1024;

/**
 * Downloads a deployment's build context (GET `{serverUrl}{urlPath}` with the
 * worker's JWT) and extracts it into `dir`, which must not exist yet.
 *
 * The agent does not trust the archive even though the control plane checked
 * it: every entry goes through the same `BuildContextCheck` (no absolute or
 * `..` paths, no devices, nothing written through a symlink, links resolve
 * inside), files and directories are written as they stream, and links are
 * created only after the whole archive passed, so no write can follow a link
 * out of `dir`. Modes keep only the permission bits. On any failure `dir` is
 * removed and the error is thrown.
 */
export async function downloadBuildContext(o: {
  serverUrl: string;
  urlPath: string;
  token: string;
  dir: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}): Promise<void> {
  const res = await (o.fetch ?? fetch)(endpointUrl(o.serverUrl, o.urlPath), {
    headers: { authorization: `Bearer ${o.token}` },
    signal: AbortSignal.timeout(o.timeoutMs ?? 300_000),
  });
  if (!res.ok || !res.body) {
    await res.body?.cancel().catch(() => undefined);
    throw new Error(`downloading the build context failed: HTTP ${res.status}`);
  }
  await mkdir(o.dir, { recursive: false, mode: 0o700 });
  try {
    const body = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
    await extractSafely(body, o.dir);
  } catch (err) {
    await rm(o.dir, { recursive: true, force: true });
    throw err;
  }
}

/** Extracts a gzipped tar stream into the existing, empty `dir` (see `downloadBuildContext`). */
export async function extractSafely(gz: Readable, intoDir: string): Promise<void> {
  const dir = path.resolve(intoDir);
  const check = new BuildContextCheck();
  const links: Header[] = [];
  const ex = extract();
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      if (bytes > MAX_DOWNLOAD_BYTES) cb(new Error("the build context is too large"));
      else cb(null, chunk);
    },
  });
  const consume = (async () => {
    for await (const entry of ex) {
      const h = entry.header;
      check.entry(h);
      const target = inside(dir, h.name);
      if (h.type === "directory") {
        await mkdir(target, { recursive: true, mode: 0o755 });
        entry.resume();
      } else if (h.type === "file" || h.type === "contiguous-file") {
        await mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
        await rm(target, { force: true, recursive: true });
        await pipeline(entry, createWriteStream(target, { flags: "wx", mode: (h.mode ?? 0o644) & 0o777 }));
      } else {
        links.push(h);
        entry.resume();
      }
    }
  })();
  await Promise.all([pipeline(gz, counter, createGunzip(), ex), consume]);
  check.finish();
  // Symlinks before hard links: a hard link may name a path through a symlink the archive made.
  for (const h of [...links].sort((a, b) => (a.type === b.type ? 0 : a.type === "symlink" ? -1 : 1))) {
    const target = inside(dir, h.name);
    await mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
    await rm(target, { force: true, recursive: true });
    if (h.type === "symlink") await symlink(h.linkname ?? "", target);
    else await link(inside(dir, h.linkname ?? ""), target);
  }
}

/** `dir/name`, asserting it stays inside `dir` (the check already refused escapes; this is the second lock). */
function inside(dir: string, name: string): string {
  const resolved = path.resolve(dir, name);
  if (resolved !== dir && !resolved.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep)) {
    throw new Error(`archive entry ${JSON.stringify(name.slice(0, 200))} escapes the build context`);
  }
  return resolved;
}
