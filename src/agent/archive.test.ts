import { lstat, mkdtemp, readFile, readlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { tarGzOf, type TarEntry } from "../../test/helpers/tar-fixtures.js";
import { extractSafely } from "./archive.js";

async function extractInto(entries: TarEntry[]): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "wh-extract-"));
  await extractSafely(Readable.from([await tarGzOf(entries)]), dir);
  return dir;
}

const recipe: TarEntry = { name: "Containerfile", content: "FROM base\n" };

describe("extractSafely", () => {
  it("writes files, directories and links that stay inside", async () => {
    const dir = await extractInto([
      recipe,
      { name: "src/", type: "directory" },
      { name: "src/app.sh", content: "echo hi\n", mode: 0o4755 },
      { name: "link", type: "symlink", linkname: "src/app.sh" },
    ]);
    expect(await readFile(path.join(dir, "src/app.sh"), "utf8")).toBe("echo hi\n");
    expect((await lstat(path.join(dir, "src/app.sh"))).mode & 0o7777).toBe(0o755); // no setuid
    expect(await readlink(path.join(dir, "link"))).toBe("src/app.sh");
  });

  it.each<[string, TarEntry[]]>([
    ["an absolute path", [recipe, { name: "/etc/evil", content: "x" }]],
    ["a .. path", [recipe, { name: "../evil", content: "x" }]],
    ["a symlink out", [recipe, { name: "out", type: "symlink", linkname: "../../etc" }]],
    [
      "a write through a symlink",
      [recipe, { name: "d", type: "symlink", linkname: "." }, { name: "d/x", content: "x" }],
    ],
    ["a hard link out", [recipe, { name: "h", type: "link", linkname: "../secret" }]],
    ["no recipe", [{ name: "main.sh", content: "x" }]],
  ])("refuses %s", async (_what, entries) => {
    await expect(extractInto(entries)).rejects.toThrow(/invalid archive|escapes/);
  });
});
