import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeApp, makeUser, makeWorker } from "../../test/helpers/db-fixtures.js";
import { assignedDeploy } from "../../test/helpers/hub-fixtures.js";
import { createTestDatabase, silentLog, testEngine, type TestDatabase } from "../../test/helpers/test-db.js";
import { completeJob } from "../api/job-completion.js";
import type { WorkerRow } from "../db/workers.js";
import { RecordingPublisher } from "../events/publisher.js";
import { notifyPlacementChanged, PlacementNotifier } from "./placement-notifier.js";
import { StuckJobRecovery } from "./stuck-jobs.js";

const POLL = { timeout: 10_000, interval: 20 };

let t: TestDatabase;
let worker: WorkerRow;
let notifier: PlacementNotifier;
const received: number[] = [];
beforeAll(async () => {
  t = await createTestDatabase();
  worker = await makeWorker(t.db.kysely, { status: "online", last_heartbeat: new Date() });
  notifier = new PlacementNotifier({
    db: t.db,
    log: silentLog,
    onPlacementChanged: (id) => received.push(id),
  });
  await notifier.start();
});
afterAll(async () => {
  await notifier.stop();
  await t.dispose();
});
const db = () => t.db.kysely;

/**
 * What arrived after `marker` is notified last: notifications come in commit
 * order, so anything sent before it has arrived once it has. Empties the record.
 */
async function receivedUpTo(marker: number): Promise<number[]> {
  await db()
    .transaction()
    .execute((trx) => notifyPlacementChanged(trx, [marker]));
  await expect.poll(() => received.includes(marker), POLL).toBe(true);
  return received.splice(0).filter((id) => id !== marker);
}

const result = (jobId: number, success: boolean) => ({
  workerId: worker.id,
  jobId,
  success,
  error: success ? null : "boom",
  logs: "",
  containerId: success ? "c1" : null,
});

describe(`on ${testEngine}`, () => {
  it("a completed or failed job_result notifies its app once it commits; an ignored or foreign one notifies nothing", async () => {
    const ok = await assignedDeploy(db(), worker.id);
    const bad = await assignedDeploy(db(), worker.id);
    const other = await makeWorker(db(), { status: "online" });
    const foreign = await assignedDeploy(db(), other.id);
    expect((await completeJob(db(), result(ok.jobId, true), new Date())).kind).toBe("completed");
    expect((await completeJob(db(), result(bad.jobId, false), new Date())).kind).toBe("completed");
    // A duplicate result, and one naming another worker's job.
    expect((await completeJob(db(), result(ok.jobId, true), new Date())).kind).toBe("ignored");
    expect((await completeJob(db(), result(foreign.jobId, true), new Date())).kind).toBe("not_found");
    expect(await receivedUpTo(999_001)).toEqual([ok.appId, bad.appId]);
  });

  it("stuck-job recovery notifies the apps of the deploys it fails, not those of a restart", async () => {
    const now = new Date(); // the first test's foreign job, assigned just now, is not stuck
    const stuck = await assignedDeploy(db(), worker.id, {
      assignedAt: new Date(now.getTime() - 16 * 60_000),
    });
    const user = await makeUser(db());
    const restarted = await makeApp(db(), user.id, { status: "running", worker_id: worker.id });
    await db()
      .insertInto("jobs")
      .values({
        app_id: restarted.id,
        type: "restart",
        worker_id: worker.id,
        status: "assigned",
        assigned_at: new Date(now.getTime() - 16 * 60_000),
      })
      .execute();
    const recovery = new StuckJobRecovery({
      db: db(),
      log: silentLog,
      publisher: new RecordingPublisher(),
      now: () => now,
      timeoutS: 900,
    });
    expect((await recovery.runOnce())?.failed).toHaveLength(2);
    expect(await receivedUpTo(999_002)).toEqual([stuck.appId]);
  });

  it("notifyPlacementChanged sends each distinct app once and rejects an id that is not an app id", async () => {
    await db()
      .transaction()
      .execute((trx) => notifyPlacementChanged(trx, [7, 3, 7]));
    expect((await receivedUpTo(999_003)).sort((a, b) => a - b)).toEqual([3, 7]);
    await expect(notifyPlacementChanged(db(), [0])).rejects.toThrow("invalid app id 0");
    await expect(notifyPlacementChanged(db(), [2.5])).rejects.toThrow(RangeError);
  });
});
