import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

import { API_KEY_PATTERN, generateApiKey } from "../crypto/api-key.js";

/** The file, under the agent's data dir, that keeps the worker's API key. */
export const API_KEY_FILE = "api-key";

export interface StoredKey {
  apiKey: string;
  /** True when the key was just generated (the worker still has to register). */
  created: boolean;
}

/**
 * Reads `<dataDir>/api-key`, or generates a key when there is none. The data
 * dir is created with mode 0700 and the file with 0600. A new key is only
 * written by `saveApiKey` after registration succeeded, so a failed first
 * registration leaves no key that the control plane never saw.
 * Throws when the file exists but does not hold a key.
 */
export async function loadApiKey(dataDir: string, random?: (n: number) => Buffer): Promise<StoredKey> {
  const file = path.join(dataDir, API_KEY_FILE);
  let text: string | undefined;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  if (text === undefined) return { apiKey: generateApiKey(random), created: true };
  const apiKey = text.trim();
  if (!API_KEY_PATTERN.test(apiKey)) throw new Error(`${file} does not hold an API key (64 lowercase hex)`);
  return { apiKey, created: false };
}

/** Writes the key to `<dataDir>/api-key` (0600) in a dir that is 0700. */
export async function saveApiKey(dataDir: string, apiKey: string): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await chmod(dataDir, 0o700);
  const file = path.join(dataDir, API_KEY_FILE);
  await writeFile(file, `${apiKey}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
}
