import { readFile } from "node:fs/promises";
import path from "node:path";
import { gzipSync } from "node:zlib";

export interface BundleFile {
  /** Path as index.html names it (`/assets/index-abc.js`). */
  href: string;
  kind: "script" | "style";
  bytes: number;
  gzipBytes: number;
}

/**
 * What the browser must fetch to render the dashboard's first screen: the
 * entry script, the chunks index.html preloads (Vite lists every static
 * import of the entry), and the stylesheets. Lazily imported chunks (the
 * usage charts) are not part of it. Sizes are raw and gzip -9.
 */
export async function firstScreenBundle(dashboardDir: string): Promise<BundleFile[]> {
  const html = await readFile(path.join(dashboardDir, "index.html"), "utf8");
  const refs: { href: string; kind: BundleFile["kind"] }[] = [];
  for (const tag of html.match(/<(script|link)\b[^>]*>/g) ?? []) {
    const attr = (name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(tag)?.[1];
    if (tag.startsWith("<script") && attr("src")) refs.push({ href: attr("src")!, kind: "script" });
    else if (attr("rel") === "modulepreload" && attr("href"))
      refs.push({ href: attr("href")!, kind: "script" });
    else if (attr("rel") === "stylesheet" && attr("href")) refs.push({ href: attr("href")!, kind: "style" });
  }
  return Promise.all(
    refs.map(async ({ href, kind }) => {
      const body = await readFile(path.join(dashboardDir, href.replace(/^\//, "")));
      return { href, kind, bytes: body.length, gzipBytes: gzipSync(body, { level: 9 }).length };
    }),
  );
}

/** Issue 9's budget: the first screen's JavaScript, gzipped (the bundle test enforces it, the benchmark reports it). */
export const FIRST_SCREEN_JS_BUDGET = 200 * 1024;

/** Gzipped bytes of the first screen's JavaScript. */
export function scriptGzipBytes(files: readonly BundleFile[]): number {
  return files.filter((f) => f.kind === "script").reduce((n, f) => n + f.gzipBytes, 0);
}
