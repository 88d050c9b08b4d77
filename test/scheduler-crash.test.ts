import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import { afterAll, beforeAll, expect, it } from "vitest";
import { checkInvariants, makeOnlineWorkers, makePendingDeploys } from "./helpers/scheduler-fixtures.js";
import { createTestDatabase, testEngine, type TestDatabase } from "./helpers/test-db.js";

const CHILD = fileURLToPath(new URL("../dist/bench/scheduler-child.js", import.meta.url));

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.dispose());

/**
 * SIGKILL at random moments, at least 50 times, while jobs flow: a child
 * process places jobs; after each kill the invariants hold and no job is
 * half-assigned. Several processes on one database: PostgreSQL only (the
 * embedded database serves a single process).
 */
it.runIf(testEngine === "postgres")(
  "a scheduler killed with SIGKILL 50 times leaves no half-assigned job",
  async () => {
    const db = t.db.kysely;
    const sizes = Array.from({ length: 20 }, (_, i) => ({ cpu: 2000 + 1000 * (i % 3), memory: 4096 }));
    await makeOnlineWorkers(db, sizes);
    await makePendingDeploys(
      db,
      Array.from({ length: 600 }, (_, i) => ({ cpu: 50 + (i % 4) * 25, memory: 64 })),
    );
    let kills = 0;
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 50; i++) {
      // Keep jobs flowing: completed deploys free nothing, so enqueue more as they get placed.
      if (i % 10 === 9)
        await makePendingDeploys(
          db,
          Array.from({ length: 60 }, () => ({ cpu: 50, memory: 64 })),
        );
      const child = spawn(process.execPath, [CHILD], {
        env: { PATH: process.env.PATH ?? "", DATABASE_URL: t.url!, BATCH: "7" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const exited = new Promise<void>((r) => child.on("exit", () => r()));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => {
          if (d.toString().includes("ready")) resolve();
        });
        child.on("exit", (code) => reject(new Error(`child exited early (${code})`)));
      });
      await new Promise((r) => setTimeout(r, Math.floor(random() * 60)));
      child.kill("SIGKILL");
      await exited;
      kills++;
      const report = await checkInvariants(db);
      expect(report.overCommitted).toEqual([]);
      expect(report.counterMismatch).toEqual([]);
      expect(report.halfAssigned).toEqual([]);
    }
    expect(kills).toBe(50);
    const assigned = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM jobs WHERE status = 'assigned'`.execute(db);
    expect(assigned.rows[0]!.n).toBeGreaterThan(0);
  },
  300_000,
);
