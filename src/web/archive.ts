import { randomBytes } from "node:crypto";
import { mkdir, open, rm } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { extract as tarExtract } from "tar-stream";
import { AppError, InvalidRequestError } from "../errors.js";
import { BuildContextCheck, InvalidArchiveError } from "./archive-check.js";

export { InvalidArchiveError } from "./archive-check.js";

/** Largest build context accepted, compressed, as uploaded. */
export const MAX_ARCHIVE_BYTES = 200 * 1024 * 1024;
/** Largest build context accepted once gunzipped (a gzip bomb stops here). */
export const MAX_UNPACKED_BYTES = 4 * 1024 * 1024 * 1024;

export class PayloadTooLargeError extends AppError {
  constructor(message: string) {
    super("payload_too_large", message);
  }
}

export interface ArchiveLimits {
  maxBytes: number;
  maxUnpackedBytes: number;
}

export interface ReceivedArchive {
  /** A file under the target directory, named `upload-<random>.tar.gz`; the caller moves or removes it. */
  path: string;
  bytes: number;
}

function gzipError(err: unknown): Error {
  if (err instanceof AppError) return err;
  const code = (err as { code?: string }).code;
  if (code === "Z_BUF_ERROR") return new InvalidArchiveError("truncated gzip data");
  return new InvalidArchiveError("not gzip");
}

function tarError(err: unknown): Error {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : "";
  if (message.includes("Unexpected end")) return new InvalidArchiveError("truncated tar archive");
  return new InvalidArchiveError("not a tar archive inside the gzip data");
}

/**
 * Gunzips and walks a tar stream fed chunk by chunk, draining entry bodies
 * (nothing is kept in memory but the entry names the check needs). write()
 * resolves when the chunk is accepted (back-pressure) and rejects with an
 * InvalidArchiveError as soon as the data is known to be bad; end() resolves
 * once the whole archive has been checked.
 */
function createInspector(maxUnpackedBytes: number) {
  const gunzip = createGunzip();
  const tar = tarExtract();
  const check = new BuildContextCheck();
  let failure: Error | undefined;
  let rejectFailed!: (err: Error) => void;
  const failed = new Promise<never>((_resolve, reject) => (rejectFailed = reject));
  failed.catch(() => undefined);
  const fail = (err: Error): void => {
    if (failure) return;
    failure = err;
    rejectFailed(err);
    gunzip.destroy();
    tar.destroy();
  };
  let unpacked = 0;
  gunzip.on("data", (chunk: Buffer) => {
    unpacked += chunk.length;
    if (unpacked > maxUnpackedBytes) {
      fail(new InvalidArchiveError(`unpacks to more than ${maxUnpackedBytes} bytes`));
    }
  });
  gunzip.on("error", (err) => fail(gzipError(err)));
  tar.on("error", (err) => fail(tarError(err)));
  tar.on("entry", (header, body, next) => {
    try {
      check.entry(header);
    } catch (err) {
      fail(err as Error);
      return;
    }
    body.on("end", () => next());
    body.resume();
  });
  const finished = new Promise<void>((resolve) => tar.on("finish", () => resolve()));
  gunzip.pipe(tar);

  return {
    async write(chunk: Buffer): Promise<void> {
      if (failure) throw failure;
      if (gunzip.write(chunk)) return;
      await Promise.race([new Promise((resolve) => gunzip.once("drain", resolve)), failed]);
    },
    async end(): Promise<void> {
      if (failure) throw failure;
      gunzip.end();
      await Promise.race([finished, failed]);
      check.finish();
    },
    destroy(): void {
      gunzip.destroy();
      tar.destroy();
    },
  };
}

/**
 * Streams an uploaded `.tar.gz` build context to a new file in `dir`
 * (created if missing), counting bytes and checking the archive as it
 * arrives; never holds the upload in memory. On success the file is
 * complete and its archive valid (see BuildContextCheck). On any failure —
 * too large (PayloadTooLargeError), invalid (InvalidArchiveError), the
 * client going away — the file is removed before the error is rethrown, and
 * the rest of the request is discarded so a response can still be sent.
 */
export async function receiveArchive(
  source: Readable,
  dir: string,
  limits: ArchiveLimits = { maxBytes: MAX_ARCHIVE_BYTES, maxUnpackedBytes: MAX_UNPACKED_BYTES },
): Promise<ReceivedArchive> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `upload-${randomBytes(12).toString("hex")}.tar.gz`);
  const fh = await open(file, "wx", 0o600);
  const inspector = createInspector(limits.maxUnpackedBytes);
  let bytes = 0;
  let closed = false;
  try {
    for await (const chunk of source.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > limits.maxBytes) {
        throw new PayloadTooLargeError(`archive larger than ${limits.maxBytes} bytes`);
      }
      await Promise.all([fh.writeFile(chunk), inspector.write(chunk)]);
    }
    if (bytes === 0) throw new InvalidArchiveError("empty body: send the .tar.gz build context");
    await inspector.end();
    closed = true;
    await fh.close();
    return { path: file, bytes };
  } catch (err) {
    inspector.destroy();
    if (!closed) await fh.close().catch(() => undefined);
    await rm(file, { force: true });
    if (!source.destroyed && !source.readableEnded) source.resume();
    // The client went away mid-upload: a 4xx, not a server error (nobody reads the answer).
    if (!(err instanceof AppError) && source.destroyed) {
      throw new InvalidRequestError("body: the upload was interrupted");
    }
    throw err;
  }
}
