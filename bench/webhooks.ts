import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Kysely } from "kysely";
import { SecretBox } from "../src/crypto/aes.js";
import type { DB } from "../src/db/schema.js";
import { insertWebhook } from "../src/db/webhooks.js";
import { EVENT_TYPES, type PlatformEvent } from "../src/events/publisher.js";
import { createLogger } from "../src/log.js";
import { WebhookDispatcher } from "../src/webhooks/dispatcher.js";
import { buildWebhookPayload } from "../src/webhooks/payload.js";
import { sealNewWebhook } from "../src/webhooks/registration.js";
import { checkFlags, intFlag } from "./args.js";
import { openBenchDatabase } from "./hub-db.js";
import { fmtInt, fmtNum, percentile, sleep } from "./util.js";

export const WEBHOOKS_USAGE =
  "webhooks [--events 10000] [--webhooks 3] [--concurrency 32] [--database-url postgres://...]";

/**
 * `npm run bench -- webhooks`: N events published through the real
 * WebhookDispatcher (outbox rows, SKIP LOCKED claims, Standard Webhooks
 * signing, SSRF guard, keep-alive HTTP) and fanned out to 3 webhooks each on
 * a local receiver. Baseline, in the same run against the same receiver:
 * plain `fetch` POSTs of the same bodies with the same concurrency, no
 * database, no signing, no guard.
 *
 * Two phases per side: a burst (all events at once: deliveries/s, and the
 * latency under that backlog) and a paced phase at half the burst's event
 * rate (publish-to-receive latency without a backlog). Runs on in-memory
 * PGlite, and also on PostgreSQL when --database-url (or DATABASE_URL) is set.
 */
export async function runWebhooks(flags: Map<string, string>): Promise<void> {
  checkFlags(flags, ["events", "webhooks", "concurrency", "database-url"]);
  const events = intFlag(flags, "events", 10_000);
  const hooks = intFlag(flags, "webhooks", 3);
  const concurrency = intFlag(flags, "concurrency", 32);
  const url = flags.get("database-url") ?? process.env.DATABASE_URL;
  for (const engine of url ? [url, undefined] : [undefined]) await runOn(engine, events, hooks, concurrency);
}

const BASE_DOMAIN = "apps.bench.test";
/** A phase whose receiver count has not moved for this long is reported as stalled. */
const STALL_MS = 120_000;
const PACED_LOAD = 0.5;
const PACED_MAX_EVENTS = 3000;

interface PhaseResult {
  deliveries: number;
  ms: number;
  latencies: number[];
  duplicates: number;
}

/** Counts what arrives for one phase: latency from the send time of its `webhook-id`, duplicates per (id, path). */
class Tally {
  readonly sentAt = new Map<string, number>();
  readonly latencies: number[] = [];
  readonly seen = new Set<string>();
  duplicates = 0;
  lastProgress = performance.now();
  private resolve: (() => void) | undefined;
  readonly done: Promise<void>;

  constructor(readonly expected: number) {
    this.done = new Promise((r) => (this.resolve = r));
  }

  record(id: string, path: string, at: number): void {
    const key = `${id} ${path}`;
    if (this.seen.has(key)) {
      this.duplicates += 1;
      return;
    }
    this.seen.add(key);
    const sent = this.sentAt.get(id);
    if (sent !== undefined) this.latencies.push(at - sent);
    this.lastProgress = at;
    if (this.seen.size >= this.expected) this.resolve?.();
  }
}

async function startReceiver(): Promise<{ port: number; setTally(t: Tally): void; close(): Promise<void> }> {
  let tally: Tally | undefined;
  const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    req.resume();
    req.on("end", () => {
      const id = req.headers["webhook-id"];
      if (typeof id === "string") tally?.record(id, req.url ?? "", performance.now());
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as AddressInfo).port,
    setTally: (t) => (tally = t),
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

async function runOn(
  adminUrl: string | undefined,
  events: number,
  hooks: number,
  concurrency: number,
): Promise<void> {
  const log = createLogger("silent");
  const bench = await openBenchDatabase(adminUrl, log);
  const receiver = await startReceiver();
  const db = bench.db.kysely;
  try {
    const secretBox = new SecretBox("bench-master-secret-".repeat(2));
    const app = await seed(db, secretBox, hooks, receiver.port);
    const eventFor = (i: number): PlatformEvent => ({
      type: EVENT_TYPES[i % EVENT_TYPES.length]!,
      app,
      deployment: {
        id: i,
        commit_sha: "3f786850e387550fdab836ed7e6dc881de23001b",
        commit_message: `Change ${i}`,
      },
      alert: { id: i, kind: "cpu", value: 93, threshold: 80, sustain_minutes: 5 },
      time: new Date(),
    });

    let tally = new Tally(0);
    let seq = 0;
    const dispatcher = new WebhookDispatcher({
      db,
      secretBox,
      log,
      baseDomain: BASE_DOMAIN,
      allowPrivateTargets: true,
      concurrency,
      newEventId: () => {
        const id = `evt_${seq++}`;
        tally.sentAt.set(id, performance.now());
        return id;
      },
    });
    await dispatcher.start();
    const oursPhase = async (count: number, perSec: number): Promise<PhaseResult> => {
      tally = new Tally(count * hooks);
      receiver.setTally(tally);
      return measure(tally, count, perSec, (i) => dispatcher.publish(eventFor(i)));
    };
    const oursBurst = await oursPhase(events, 0);
    const oursRate = (events / oursBurst.ms) * 1000;
    const oursPaced = await oursPhase(Math.min(events, PACED_MAX_EVENTS), oursRate * PACED_LOAD);
    await dispatcher.stop();
    const states = await db
      .selectFrom("webhook_deliveries")
      .select(["status"])
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .groupBy("status")
      .execute();

    const urls = Array.from({ length: hooks }, (_, k) => `http://127.0.0.1:${receiver.port}/hook/${k}`);
    const limit = semaphore(concurrency);
    let base = 0;
    const basePhase = async (count: number, perSec: number): Promise<PhaseResult> => {
      const t = new Tally(count * hooks);
      receiver.setTally(t);
      return measure(t, count, perSec, (i) => {
        const id = `base_${base++}`;
        t.sentAt.set(id, performance.now());
        const body = JSON.stringify(buildWebhookPayload(eventFor(i), BASE_DOMAIN));
        for (const url of urls)
          void limit(async () => {
            const res = await fetch(url, {
              method: "POST",
              headers: { "content-type": "application/json", "webhook-id": id },
              body,
            });
            await res.arrayBuffer();
          });
      });
    };
    const baseBurst = await basePhase(events, 0);
    const basePaced = await basePhase(
      Math.min(events, PACED_MAX_EVENTS),
      ((events / baseBurst.ms) * 1000 * PACED_LOAD) | 0,
    );

    const engine = bench.db.engine === "postgres" ? "PostgreSQL" : "PGlite (embedded)";
    console.log(
      `webhooks on ${engine}: events=${fmtInt(events)} webhooks=${hooks} deliveries=${fmtInt(events * hooks)} concurrency=${concurrency}`,
    );
    console.log(`  ours:     ${line("burst", oursBurst)}`);
    console.log(`            ${line(`paced at ${fmtInt(oursRate * PACED_LOAD)} events/s`, oursPaced)}`);
    console.log(`            rows: ${states.map((s) => `${s.status} ${fmtInt(Number(s.n))}`).join(", ")}`);
    console.log(`  baseline: ${line("burst", baseBurst)}   (plain fetch POSTs, no DB, no signing)`);
    console.log(
      `            ${line(`paced at ${fmtInt((events / baseBurst.ms) * 1000 * PACED_LOAD)} events/s`, basePaced)}`,
    );
    const ratio = rate(oursBurst) / rate(baseBurst);
    console.log(`  ratio ours/baseline deliveries/s: ${ratio.toFixed(2)}`);
  } finally {
    await receiver.close();
    await bench.dispose();
  }
}

function rate(r: PhaseResult): number {
  return (r.deliveries / r.ms) * 1000;
}

function line(name: string, r: PhaseResult): string {
  return (
    `${name}: ${fmtInt(r.deliveries)} delivered in ${fmtNum(r.ms)} ms = ${fmtInt(rate(r))} deliveries/s; ` +
    `publish-to-receive p50 ${fmtNum(percentile(r.latencies, 0.5))} ms, p99 ${fmtNum(percentile(r.latencies, 0.99))} ms` +
    (r.duplicates > 0 ? `; duplicates ${r.duplicates}` : "")
  );
}

/** Sends `count` events (all at once when perSec is 0, else paced) and waits until every delivery arrived. */
async function measure(
  tally: Tally,
  count: number,
  perSec: number,
  send: (i: number) => void,
): Promise<PhaseResult> {
  const t0 = performance.now();
  if (perSec <= 0) for (let i = 0; i < count; i++) send(i);
  else {
    let sent = 0;
    while (sent < count) {
      const due = Math.min(count, Math.floor(((performance.now() - t0) / 1000) * perSec) + 1);
      while (sent < due) send(sent++);
      await sleep(2);
    }
  }
  tally.lastProgress = performance.now();
  const stalled = new Promise<never>((_, reject) => {
    const check = (): void => {
      if (tally.seen.size >= tally.expected) return;
      if (performance.now() - tally.lastProgress > STALL_MS)
        reject(new Error(`stalled at ${tally.seen.size} of ${tally.expected} deliveries`));
      else setTimeout(check, 500).unref();
    };
    check();
  });
  await Promise.race([tally.done, stalled]);
  return {
    deliveries: tally.seen.size,
    ms: performance.now() - t0,
    latencies: tally.latencies,
    duplicates: tally.duplicates,
  };
}

/** `fn` with at most `n` running at once. */
function semaphore(n: number): (fn: () => Promise<void>) => Promise<void> {
  let running = 0;
  const queue: (() => void)[] = [];
  return async (fn) => {
    if (running >= n) await new Promise<void>((r) => queue.push(r));
    running += 1;
    try {
      await fn();
    } finally {
      running -= 1;
      queue.shift()?.();
    }
  };
}

async function seed(
  db: Kysely<DB>,
  secretBox: SecretBox,
  hooks: number,
  port: number,
): Promise<PlatformEvent["app"]> {
  const user = await db
    .insertInto("users")
    .values({ email: "bench@example.com", password_hash: "!", plan_name: "unlimited" })
    .returning("id")
    .executeTakeFirstOrThrow();
  const app = await db
    .insertInto("apps")
    .values({ user_id: user.id, name: "bench", slug: "bench", cpu_millicores: 100, memory_mb: 64 })
    .returning(["id", "name", "slug"])
    .executeTakeFirstOrThrow();
  for (let k = 0; k < hooks; k++) {
    const sealed = sealNewWebhook(secretBox, {
      userId: user.id,
      url: `http://127.0.0.1:${port}/hook/${k}`,
      events: [...EVENT_TYPES],
    });
    await insertWebhook(db, sealed.values);
  }
  return { ...app, user_id: user.id };
}
