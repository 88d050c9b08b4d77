import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { makeApp, makeUser } from "../../test/helpers/db-fixtures.js";
import { createTestDatabase, silentLog, testEngine, type TestDatabase } from "../../test/helpers/test-db.js";
import { Receiver } from "../../test/helpers/webhook-receiver.js";
import { SecretBox } from "../crypto/aes.js";
import type { AppRow } from "../db/apps.js";
import { claimDueWebhookDeliveries } from "../db/webhook-deliveries.js";
import { insertWebhook } from "../db/webhooks.js";
import type { PlatformEvent } from "../events/publisher.js";
import { WebhookDispatcher } from "./dispatcher.js";
import { sealNewWebhook } from "./registration.js";

/**
 * The outbox: deliveries written in the transaction of the change survive a
 * crash anywhere between the commit and the send, and go out exactly once
 * when a dispatcher runs again. Two simulated crashes on both engines (the
 * dispatcher that committed never runs; it claims and dies before sending),
 * and a real one on PostgreSQL: a child process commits and is SIGKILLed.
 */

const MASTER = "m".repeat(32);
const box = new SecretBox(MASTER);
const LEASE_MS = 5 * 60_000;

let t: TestDatabase;
let receiver: Receiver;
let app: AppRow;
let userId: number;
beforeAll(async () => {
  t = await createTestDatabase();
  receiver = await Receiver.start();
  userId = (await makeUser(t.db.kysely)).id;
  app = await makeApp(t.db.kysely, userId, { name: "Outbox" });
  const sealed = sealNewWebhook(box, { userId, url: receiver.url(), events: ["app.stopped"] });
  await insertWebhook(t.db.kysely, sealed.values);
});
afterAll(async () => {
  await receiver.close();
  await t.dispose();
});
afterEach(async () => {
  await t.db.kysely.deleteFrom("webhook_deliveries").execute();
  receiver.requests.length = 0;
});

const db = () => t.db.kysely;
const stopped = (): PlatformEvent => ({
  type: "app.stopped",
  app: { id: app.id, name: app.name, slug: app.slug, user_id: userId },
  time: new Date(),
});

function dispatcher(now: () => Date = () => new Date()): WebhookDispatcher {
  return new WebhookDispatcher({
    db: db(),
    secretBox: box,
    log: silentLog,
    baseDomain: "apps.example.com",
    allowPrivateTargets: true,
    now,
    leaseMs: LEASE_MS,
  });
}

/** The change and its event in one transaction, as a publisher with a transaction does it. */
async function stopAppAndPublish(d: WebhookDispatcher): Promise<void> {
  await db()
    .transaction()
    .execute(async (trx) => {
      await trx.updateTable("apps").set({ status: "stopped" }).where("id", "=", app.id).execute();
      await d.publishInTx(trx, stopped());
    });
}

/** Runs the restarted dispatcher until idle and checks the delivery went out exactly once. */
async function expectDeliveredExactlyOnce(d: WebhookDispatcher): Promise<void> {
  expect(await d.runOnce()).toMatchObject({ claimed: 1, succeeded: 1 });
  expect(await d.runOnce()).toMatchObject({ claimed: 0 });
  expect(receiver.requests).toHaveLength(1);
  const rows = await db().selectFrom("webhook_deliveries").selectAll().execute();
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ status: "succeeded", attempts: 1 });
  expect(receiver.requests[0]!.headers["webhook-id"]).toBe(rows[0]!.event_id);
  await d.stop();
}

describe("outbox", () => {
  it("a crash after the commit, before any send: the restarted dispatcher delivers once", async () => {
    const crashed = dispatcher();
    await stopAppAndPublish(crashed);
    // `crashed` never runs again: its process is gone.
    const restarted = dispatcher();
    await expectDeliveredExactlyOnce(restarted);
  });

  it("a crash after the claim, before the send: delivered once when the lease runs out", async () => {
    const crashed = dispatcher();
    await stopAppAndPublish(crashed);
    const now = new Date();
    // What the crashed dispatcher's tick did before dying: claim (and lease) the row.
    const claimed = await claimDueWebhookDeliveries(db(), {
      now,
      leaseUntil: new Date(now.getTime() + LEASE_MS),
      limit: 10,
    });
    expect(claimed).toHaveLength(1);

    let clock = new Date(now.getTime() + 1000);
    const restarted = dispatcher(() => clock);
    expect(await restarted.runOnce()).toMatchObject({ claimed: 0 }); // still leased
    clock = new Date(now.getTime() + LEASE_MS + 1000);
    await expectDeliveredExactlyOnce(restarted);
  });

  const CHILD = `
    const [dbUrl, webhooksUrl, aesUrl] = process.argv.slice(1);
    const { openDatabase } = await import(dbUrl);
    const { WebhookDispatcher } = await import(webhooksUrl);
    const { SecretBox } = await import(aesUrl);
    const quiet = { info() {}, warn() {}, error(o, m) { console.error(m, o); } };
    const db = await openDatabase({ engine: "postgres", url: process.env.DATABASE_URL, poolSize: 2 }, quiet);
    const d = new WebhookDispatcher({
      db: db.kysely, secretBox: new SecretBox(process.env.MASTER), log: quiet,
      baseDomain: "apps.example.com", allowPrivateTargets: true,
    });
    const event = JSON.parse(process.env.EVENT);
    event.time = new Date(event.time);
    await db.kysely.transaction().execute(async (trx) => {
      await trx.updateTable("apps").set({ status: "stopped" }).where("id", "=", event.app.id).execute();
      await d.publishInTx(trx, event);
    });
    process.stdout.write("committed\\n");
    setInterval(() => {}, 60000); // about to send: killed here
  `;
  const dist = (p: string) => new URL(`../../dist/src/${p}`, import.meta.url).href;

  it.runIf(testEngine === "postgres")(
    "a process SIGKILLed after the commit: the delivery goes out exactly once on restart",
    async () => {
      const child = spawn(
        process.execPath,
        [
          "--input-type=module",
          "-e",
          CHILD,
          dist("db/database.js"),
          dist("webhooks/dispatcher.js"),
          dist("crypto/aes.js"),
        ],
        {
          env: {
            PATH: process.env.PATH ?? "",
            DATABASE_URL: t.url!,
            MASTER,
            EVENT: JSON.stringify(stopped()),
          },
          stdio: ["ignore", "pipe", "pipe"],
          cwd: fileURLToPath(new URL("../..", import.meta.url)),
        },
      );
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<NodeJS.Signals | null>((r) =>
        child.on("exit", (_code, signal) => r(signal)),
      );
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => {
          if (d.toString().includes("committed")) resolve();
        });
        child.on("exit", (code) => reject(new Error(`child exited early (${code}): ${stderr}`)));
      });
      child.kill("SIGKILL");
      expect(await exited).toBe("SIGKILL");
      expect(receiver.requests).toHaveLength(0);
      await expectDeliveredExactlyOnce(dispatcher());
    },
    60_000,
  );
});
