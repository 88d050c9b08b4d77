import { readFileSync } from "node:fs";

/**
 * The package's version, read once from package.json next to src/ (or
 * dist/src/ when built): the user API's OpenAPI document and the agent's
 * `agent_version` report it.
 */
function readVersion(): string {
  for (const rel of ["../package.json", "../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "wisehosting" && typeof pkg.version === "string") return pkg.version;
    } catch {
      // try the next location
    }
  }
  return "0.0.0";
}

export const PACKAGE_VERSION = readVersion();
