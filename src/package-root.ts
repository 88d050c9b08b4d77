import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

interface PackageJson {
  name?: string;
  version?: string;
}

/**
 * The wisehosting package's root folder and package.json, found next to src/
 * (running from source) or two levels up from dist/src/ (built). Undefined
 * root only if neither holds wisehosting's package.json.
 */
function findPackage(): { root: string | undefined; pkg: PackageJson } {
  for (const rel of ["../", "../../"]) {
    try {
      const url = new URL(rel, import.meta.url);
      const pkg = JSON.parse(readFileSync(new URL("package.json", url), "utf8")) as PackageJson;
      if (pkg.name === "wisehosting") return { root: fileURLToPath(url), pkg };
    } catch {
      // try the next location
    }
  }
  return { root: undefined, pkg: {} };
}

const found = findPackage();

export const PACKAGE_ROOT: string | undefined = found.root;
export const PACKAGE_JSON: Readonly<PackageJson> = found.pkg;
