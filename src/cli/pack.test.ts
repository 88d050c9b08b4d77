import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createGunzip } from "node:zlib";
import { extract } from "tar-stream";
import { afterEach, describe, expect, it } from "vitest";
import { CliError } from "./cli-errors.js";
import { listContext, packContext } from "./pack.js";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A folder with the given files (content "x" unless given); `null` makes a directory. */
async function tree(files: Record<string, string | null>): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), "wh-pack-"));
  dirs.push(root);
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(root, rel);
    if (content === null) {
      await mkdir(abs, { recursive: true });
    } else {
      await mkdir(path.dirname(abs), { recursive: true });
      await writeFile(abs, content);
    }
  }
  return root;
}

const names = async (root: string) => (await listContext(root)).map((e) => e.rel);

interface Entry {
  name: string;
  type: string;
  linkname: string | null;
  body: string;
}

async function readArchive(file: string): Promise<Entry[]> {
  const ex = extract();
  const out: Entry[] = [];
  createReadStream(file).pipe(createGunzip()).pipe(ex);
  for await (const entry of ex) {
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c as Buffer);
    out.push({
      name: entry.header.name,
      type: entry.header.type,
      linkname: entry.header.linkname ?? null,
      body: Buffer.concat(chunks).toString(),
    });
  }
  return out;
}

describe("listContext", () => {
  it("refuses a folder without a Containerfile or Dockerfile at its root", async () => {
    const root = await tree({ "src/Dockerfile": "FROM x", "index.js": "" });
    const err = await listContext(root).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as Error).message).toMatch(/no Containerfile or Dockerfile at the root/);
  });

  it("accepts a Containerfile and skips .git at any depth, file or directory", async () => {
    const root = await tree({
      Containerfile: "FROM x",
      ".git/HEAD": "ref",
      "sub/.git": "gitdir: elsewhere",
      "sub/a.txt": "a",
    });
    expect(await names(root)).toEqual(["Containerfile", "sub", "sub/a.txt"]);
  });

  it("honours .gitignore with negation, directory patterns and nested .gitignore files", async () => {
    const root = await tree({
      Dockerfile: "FROM x",
      ".gitignore": "*.log\n!keep.log\nbuild/\n.env\n",
      "a.log": "",
      "keep.log": "",
      ".env": "SECRET=1",
      "build/out.js": "",
      "src/app.js": "",
      "src/debug.log": "",
      "src/build/gen.js": "",
      "src/lib/.gitignore": "*.tmp\n!important.log\n",
      "src/lib/x.tmp": "",
      "src/lib/important.log": "",
      "src/lib/y.js": "",
      "other/x.tmp": "",
    });
    expect(await names(root)).toEqual([
      ".gitignore",
      "Dockerfile",
      "keep.log",
      "other",
      "other/x.tmp",
      "src",
      "src/app.js",
      "src/lib",
      "src/lib/.gitignore",
      "src/lib/important.log",
      "src/lib/y.js",
    ]);
  });

  it("applies .dockerignore last (it can re-include) and never drops the build file", async () => {
    const root = await tree({
      Dockerfile: "FROM x",
      ".gitignore": "dist/\n",
      ".dockerignore": "Dockerfile\nnode_modules\n*.md\n!README.md\n!dist/\n",
      "node_modules/a/index.js": "",
      "README.md": "",
      "NOTES.md": "",
      "dist/app.js": "",
    });
    expect(await names(root)).toEqual([
      ".dockerignore",
      ".gitignore",
      "Dockerfile",
      "README.md",
      "dist",
      "dist/app.js",
    ]);
  });
});

describe("packContext", () => {
  it("stores files with their content and symlinks as links without following them", async () => {
    const outside = await tree({ "secret.txt": "TOP SECRET" });
    const root = await tree({ Dockerfile: "FROM scratch\n", "app/main.js": "console.log(1)" });
    await symlink(path.join(outside, "secret.txt"), path.join(root, "leak.txt"));
    await symlink(outside, path.join(root, "leakdir"));
    await symlink("app/main.js", path.join(root, "main-link.js"));
    const out = path.join(await tree({}), "ctx.tar.gz");
    const res = await packContext(root, out);
    expect(res.bytes).toBeGreaterThan(0);
    const entries = await readArchive(out);
    expect(entries.map((e) => [e.name, e.type])).toEqual([
      ["Dockerfile", "file"],
      ["app/", "directory"],
      ["app/main.js", "file"],
      ["leak.txt", "symlink"],
      ["leakdir", "symlink"],
      ["main-link.js", "symlink"],
    ]);
    expect(entries.find((e) => e.name === "Dockerfile")?.body).toBe("FROM scratch\n");
    expect(entries.find((e) => e.name === "app/main.js")?.body).toBe("console.log(1)");
    expect(entries.find((e) => e.name === "leak.txt")).toMatchObject({
      linkname: path.join(outside, "secret.txt"),
      body: "",
    });
    expect(entries.find((e) => e.name === "main-link.js")?.linkname).toBe("app/main.js");
    expect(entries.map((e) => e.body).join("")).not.toContain("TOP SECRET");
    expect(res.entries).toEqual(entries.map((e) => e.name));
  });

  it("keeps long paths whole", async () => {
    const deep = `${"d".repeat(60)}/${"e".repeat(60)}/${"f".repeat(80)}.txt`;
    const root = await tree({ Containerfile: "FROM x", [deep]: "deep" });
    const out = path.join(await tree({}), "ctx.tar.gz");
    await packContext(root, out);
    const entries = await readArchive(out);
    expect(entries.find((e) => e.type === "file" && e.name === deep)?.body).toBe("deep");
  });
});
