import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CliError } from "../cli-errors.js";
import { gitCommit, resolveAppSlug, slugify } from "./deploy.js";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
async function tmp(name = "x"): Promise<string> {
  const d = path.join(await mkdtemp(path.join(tmpdir(), "wh-deploy-")), name);
  dirs.push(path.dirname(d));
  await mkdir(d);
  return d;
}

describe("slugify", () => {
  it("makes a folder name into an app slug", () => {
    expect(slugify("My App")).toBe("my-app");
    expect(slugify("__hello__world__")).toBe("hello-world");
    expect(slugify("Café Übung")).toBe("cafe-ubung");
    expect(slugify("x".repeat(39) + "-y")).toBe("x".repeat(39));
    expect(slugify("日本")).toBe("");
  });
});

describe("resolveAppSlug", () => {
  it("takes --app, else wisehosting.json's app, else the folder name", async () => {
    const dir = await tmp("Shop Front");
    expect(await resolveAppSlug(dir, undefined)).toBe("shop-front");
    await writeFile(path.join(dir, "wisehosting.json"), JSON.stringify({ app: "shop" }));
    expect(await resolveAppSlug(dir, undefined)).toBe("shop");
    expect(await resolveAppSlug(dir, "other")).toBe("other");
    await writeFile(path.join(dir, "wisehosting.json"), "{");
    await expect(resolveAppSlug(dir, undefined)).rejects.toBeInstanceOf(CliError);
  });
});

describe("gitCommit", () => {
  it("is null outside a repository, and HEAD's SHA and subject inside one", async () => {
    const dir = await tmp();
    expect(await gitCommit(dir)).toBeNull();
    const git = (...args: string[]) =>
      execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: dir });
    git("init", "-q");
    await writeFile(path.join(dir, "a.txt"), "a");
    git("add", "a.txt");
    git("commit", "-qm", "first commit; $(touch pwned)");
    const c = await gitCommit(dir);
    expect(c?.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(c?.message).toBe("first commit; $(touch pwned)");
  });
});
