import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough, Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tarGzOf, tarOf, validContext, type TarEntry } from "../../test/helpers/tar-fixtures.js";
import { MAX_UNPACKED_BYTES, receiveArchive } from "./archive.js";

let dir: string;
beforeEach(async () => {
  dir = path.join(await mkdtemp(path.join(tmpdir(), "wh-archive-")), "artifacts");
});
afterEach(() => rm(path.dirname(dir), { recursive: true, force: true }));

const LIMITS = { maxBytes: 64 * 1024, maxUnpackedBytes: MAX_UNPACKED_BYTES };

/** A stream of `buf` in small chunks, so checks run mid-stream. */
function chunked(buf: Buffer, size = 1000): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) parts.push(buf.subarray(i, i + size));
  return Readable.from(parts);
}

async function files(): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

async function refused(buf: Buffer, limits = LIMITS) {
  const err = await receiveArchive(chunked(buf), dir, limits).then(
    () => undefined,
    (e: unknown) => e as { code: string; message: string },
  );
  expect(err, "the archive should be refused").toBeDefined();
  expect(await files()).toEqual([]);
  return err!;
}

async function refusedEntries(entries: TarEntry[]) {
  return refused(await tarGzOf([{ name: "Containerfile", content: "FROM x\n" }, ...entries]));
}

describe("receiveArchive", () => {
  it("stores a valid build context byte for byte", async () => {
    const buf = await validContext([{ name: "./dir/", type: "directory" }]);
    const got = await receiveArchive(chunked(buf), dir, LIMITS);
    expect(got.bytes).toBe(buf.length);
    expect(path.dirname(got.path)).toBe(dir);
    expect(await readFile(got.path)).toEqual(buf);
  });

  it("accepts ./Dockerfile and symlinks that stay inside", async () => {
    const buf = await tarGzOf([
      { name: "./Dockerfile", content: "FROM x\n" },
      { name: "a/b/link", type: "symlink", linkname: "../c" },
      { name: "top", type: "symlink", linkname: "a/b/link" },
      { name: "hard", type: "link", linkname: "Dockerfile" },
    ]);
    await expect(receiveArchive(chunked(buf), dir, LIMITS)).resolves.toMatchObject({ bytes: buf.length });
  });

  it("refuses data that is not gzip", async () => {
    const err = await refused(randomBytes(5000));
    expect(err.code).toBe("invalid_archive");
    expect(err.message).toContain("not gzip");
  });

  it("refuses gzip that is not a tar, and a truncated archive", async () => {
    expect((await refused(gzipSync(Buffer.alloc(2000, "x")))).message).toMatch(/tar/);
    const good = await validContext();
    expect((await refused(good.subarray(0, good.length - 30))).message).toMatch(/truncated/);
  });

  it("refuses an archive without a Containerfile or Dockerfile at its root", async () => {
    const err = await refused(await tarGzOf([{ name: "sub/Containerfile", content: "FROM x\n" }]));
    expect(err.message).toContain("no Containerfile or Dockerfile at the archive's root");
    const dirRecipe = await refused(await tarGzOf([{ name: "Dockerfile/", type: "directory" }]));
    expect(dirRecipe.message).toContain("no Containerfile");
  });

  it("refuses absolute paths, .. segments, devices and fifos", async () => {
    expect((await refusedEntries([{ name: "../x", content: "" }])).message).toContain(
      "entry ../x escapes the build context",
    );
    expect((await refusedEntries([{ name: "a/../../x", content: "" }])).message).toContain("escapes");
    expect((await refusedEntries([{ name: "/etc/passwd", content: "" }])).message).toContain("absolute");
    expect((await refusedEntries([{ name: "dev", type: "character-device" }])).message).toContain(
      "device or fifo",
    );
    expect((await refusedEntries([{ name: "pipe", type: "fifo" }])).message).toContain("device or fifo");
  });

  it("refuses links that escape the root, directly or through other links", async () => {
    const cases: TarEntry[][] = [
      [{ name: "l", type: "symlink", linkname: "/etc" }],
      [{ name: "a/l", type: "symlink", linkname: "../../etc" }],
      [
        { name: "a/b", type: "symlink", linkname: ".." },
        { name: "c", type: "symlink", linkname: "a/b/.." },
      ],
      [{ name: "h", type: "link", linkname: "../outside" }],
      [
        { name: "l", type: "symlink", linkname: "sub" },
        { name: "l/file", content: "x" },
      ],
      [
        { name: "x", type: "symlink", linkname: "y" },
        { name: "y", type: "symlink", linkname: "x" },
      ],
    ];
    for (const entries of cases) {
      const err = await refusedEntries(entries);
      expect(err.code, JSON.stringify(entries)).toBe("invalid_archive");
      expect(err.message, JSON.stringify(entries)).toMatch(
        /points outside|inside the symlink|absolute|escapes/,
      );
    }
  });

  it("refuses more than the limit with payload_too_large, leaving no file", async () => {
    const big = await validContext([{ name: "blob", content: randomBytes(200 * 1024) }]);
    const err = await refused(big);
    expect(err.code).toBe("payload_too_large");
  });

  it("refuses an archive that unpacks past the unpacked limit", async () => {
    const bomb = await validContext([{ name: "zeros", content: Buffer.alloc(1024 * 1024) }]);
    const err = await refused(bomb, { maxBytes: 1024 * 1024, maxUnpackedBytes: 100 * 1024 });
    expect(err.message).toContain("unpacks to more than");
  });

  it("removes the file when the client goes away mid-upload", async () => {
    const buf = await tarOf([
      { name: "Containerfile", content: "FROM x\n" },
      { name: "blob", content: randomBytes(30_000) },
    ]);
    const gz = gzipSync(buf);
    const source = new PassThrough();
    const pending = receiveArchive(source, dir, LIMITS);
    source.write(gz.subarray(0, 10_000));
    await expect.poll(files).toHaveLength(1);
    source.destroy(new Error("aborted"));
    await expect(pending).rejects.toThrow("the upload was interrupted");
    expect(await files()).toEqual([]);
  });
});
