import { mkdir, mkdtemp, readFile, rm, stat, writeFile, chmod } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CliError } from "./cli-errors.js";
import {
  configDir,
  credentialsPath,
  deleteCredentials,
  loadCredentials,
  normaliseServer,
  saveCredentials,
} from "./credentials.js";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
async function tmp(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), "wh-creds-"));
  dirs.push(d);
  return d;
}
const creds = { server: "https://paas.example.com", token: "wh_secret", email: "a@example.com" };

describe("config directory", () => {
  it("is WISEHOSTING_CONFIG_DIR, else XDG_CONFIG_HOME/wisehosting, else ~/.config/wisehosting", () => {
    expect(configDir({ WISEHOSTING_CONFIG_DIR: "/x/y", XDG_CONFIG_HOME: "/xdg" })).toBe("/x/y");
    expect(configDir({ XDG_CONFIG_HOME: "/xdg" })).toBe("/xdg/wisehosting");
    expect(configDir({})).toBe(path.join(homedir(), ".config", "wisehosting"));
  });
});

describe("saveCredentials", () => {
  it("writes the file 0600 in a 0700 directory, and reads it back", async () => {
    const base = await tmp();
    const env = { XDG_CONFIG_HOME: base };
    const file = await saveCredentials(env, creds);
    expect(file).toBe(path.join(base, "wisehosting", "credentials.json"));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    expect(await loadCredentials(env)).toEqual(creds);
  });

  it("tightens a directory others can read, replaces an older file and keeps it 0600", async () => {
    const dir = path.join(await tmp(), "cfg");
    await mkdir(dir, { mode: 0o755 });
    await chmod(dir, 0o755);
    await writeFile(path.join(dir, "credentials.json"), "{}", { mode: 0o644 });
    const env = { WISEHOSTING_CONFIG_DIR: dir };
    await saveCredentials(env, creds);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(credentialsPath(env))).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(credentialsPath(env), "utf8"))).toEqual(creds);
  });

  it("load is null without a file, a CliError for a corrupt one; delete says whether there was one", async () => {
    const env = { WISEHOSTING_CONFIG_DIR: await tmp() };
    expect(await loadCredentials(env)).toBeNull();
    expect(await deleteCredentials(env)).toBe(false);
    await writeFile(credentialsPath(env), "not json");
    await expect(loadCredentials(env)).rejects.toBeInstanceOf(CliError);
    expect(await deleteCredentials(env)).toBe(true);
    expect(await loadCredentials(env)).toBeNull();
  });
});

describe("normaliseServer", () => {
  it("keeps origin and path prefix without trailing slashes; adds http:// to a bare host", () => {
    expect(normaliseServer("https://paas.example.com/")).toBe("https://paas.example.com");
    expect(normaliseServer("http://127.0.0.1:8080")).toBe("http://127.0.0.1:8080");
    expect(normaliseServer("https://x.example/prefix//")).toBe("https://x.example/prefix");
    expect(normaliseServer("localhost:8080")).toBe("http://localhost:8080");
  });

  it("refuses other schemes, credentials in the URL and garbage", () => {
    expect(() => normaliseServer("ftp://x.example")).toThrow(CliError);
    expect(() => normaliseServer("https://u:p@x.example")).toThrow(/user name or password/);
    expect(() => normaliseServer("http://exa mple")).toThrow(CliError);
  });
});
