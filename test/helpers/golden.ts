import { readFile, writeFile } from "node:fs/promises";
import { expect } from "vitest";

/**
 * Compares `actual` byte for byte with test/golden/<name>. With
 * UPDATE_GOLDEN=1 it writes the file instead (review the diff before keeping
 * it). Golden files end in `.golden` so that Prettier leaves their bytes alone.
 */
export async function expectGolden(name: string, actual: string): Promise<void> {
  const file = new URL(`../golden/${name}`, import.meta.url);
  if (process.env.UPDATE_GOLDEN === "1") {
    await writeFile(file, actual);
    return;
  }
  const expected = await readFile(file, "utf8").catch(() => {
    throw new Error(`golden file test/golden/${name} is missing; run with UPDATE_GOLDEN=1 to create it`);
  });
  expect(actual).toBe(expected);
}
