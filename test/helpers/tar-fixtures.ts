import { gzipSync } from "node:zlib";
import { pack, type Header } from "tar-stream";

/** One tar entry for a test archive: a header and, for files, its content. */
export interface TarEntry extends Partial<Header> {
  name: string;
  content?: string | Buffer;
}

/** A tar archive (not gzipped) built with tar-stream. */
export async function tarOf(entries: readonly TarEntry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of p) chunks.push(c as Buffer);
  })();
  for (const { content, ...header } of entries) {
    const body = content ?? (header.type && header.type !== "file" ? undefined : "");
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (body === undefined) p.entry(header, cb);
      else p.entry(header, body, cb);
    });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** A .tar.gz of the entries. */
export async function tarGzOf(entries: readonly TarEntry[]): Promise<Buffer> {
  return gzipSync(await tarOf(entries));
}

/** A minimal valid build context: a Containerfile and one source file. */
export function validContext(extra: readonly TarEntry[] = []): Promise<Buffer> {
  return tarGzOf([
    { name: "Containerfile", content: "FROM docker.io/library/alpine:3\nCOPY . /app\n" },
    { name: "src/main.sh", content: "echo hi\n" },
    ...extra,
  ]);
}
